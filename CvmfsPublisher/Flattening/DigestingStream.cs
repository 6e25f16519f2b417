using System.Security.Cryptography;

namespace CvmfsImages.Publisher.Flattening;

/// <summary>A read-only pass-through stream that counts and (optionally) sha256-hashes what is read through it.</summary>
internal sealed class DigestingStream : ReadOnlyStream
{
    private readonly Stream _inner;
    private readonly IncrementalHash? _hash;

    public DigestingStream(Stream inner, bool hash)
    {
        _inner = inner;
        _hash = hash ? IncrementalHash.CreateHash(HashAlgorithmName.SHA256) : null;
    }

    /// <summary>Bytes read so far.</summary>
    public long BytesRead { get; private set; }

    public override long Position
    {
        get => BytesRead;
        set => throw new NotSupportedException();
    }

    /// <summary><c>sha256:&lt;hex&gt;</c> of everything read; only when hashing.</summary>
    public string Digest() => "sha256:" + Convert.ToHexStringLower(_hash!.GetHashAndReset());

    public override int Read(Span<byte> buffer)
    {
        var n = _inner.Read(buffer);
        if (n > 0)
        {
            _hash?.AppendData(buffer[..n]);
            BytesRead += n;
        }

        return n;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _hash?.Dispose();
            _inner.Dispose();
        }

        base.Dispose(disposing);
    }
}
