using System.Security.Cryptography;
using CvmfsImages.Registry.Names;

namespace CvmfsImages.Registry.Blobs;

/// <summary>
/// Passes a blob through while hashing and counting it. More bytes than the expected size fail at once; at EOF the
/// size and digest must match, else a <see cref="DigestMismatchException"/> is thrown (and <c>onMismatch</c> runs,
/// e.g. to drop a bad cache file). A reader that stops before EOF gets no verification: read to the end.
/// </summary>
internal sealed class VerifyingStream : ReadOnlyStream
{
    private readonly Stream _inner;
    private readonly Digest _expected;
    private readonly long _size;
    private readonly string _reference;
    private readonly Action? _onMismatch;
    private readonly IncrementalHash _hash;
    private long _count;
    private bool _verified;

    public VerifyingStream(Stream inner, Digest expected, long size, string reference, Action? onMismatch = null)
    {
        _inner = inner;
        _expected = expected;
        _size = size;
        _reference = reference;
        _onMismatch = onMismatch;
        _hash = expected.CreateHash();
    }

    public override long Length => _size;

    protected override long BytesRead => _count;

    public override int Read(Span<byte> buffer)
    {
        var read = _inner.Read(buffer);
        Account(buffer[..read]);
        return read;
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var read = await _inner.ReadAsync(buffer, cancellationToken);
        Account(buffer.Span[..read]);
        return read;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _inner.Dispose();
            _hash.Dispose();
        }

        base.Dispose(disposing);
    }

    public override async ValueTask DisposeAsync()
    {
        await _inner.DisposeAsync();
        _hash.Dispose();
        await base.DisposeAsync();
    }

    private void Account(ReadOnlySpan<byte> data)
    {
        if (data.Length > 0)
        {
            _count += data.Length;
            if (_count > _size)
            {
                Fail(null);
            }

            _hash.AppendData(data);
            return;
        }

        if (_verified)
        {
            return;
        }

        if (_count != _size)
        {
            Fail(null);
        }

        var actual = Digest.FromHash(_expected.Algorithm, _hash.GetHashAndReset());
        if (actual != _expected)
        {
            Fail(actual);
        }

        _verified = true;
    }

    private void Fail(Digest? actual)
    {
        _onMismatch?.Invoke();
        throw new DigestMismatchException(_reference, _expected, actual, _size, _count);
    }
}
