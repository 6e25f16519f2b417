using System.Security.Cryptography;

namespace CvmfsImages.Publisher.Flattening;

/// <summary>A read-only pass-through stream that counts and (optionally) sha256-hashes what is read through it.</summary>
internal sealed class DigestingStream : Stream
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

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => BytesRead;
        set => throw new NotSupportedException();
    }

    /// <summary><c>sha256:&lt;hex&gt;</c> of everything read; only when hashing.</summary>
    public string Digest() => "sha256:" + Convert.ToHexStringLower(_hash!.GetHashAndReset());

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

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

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

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
