namespace CvmfsImages.Publisher.Flattening;

/// <summary>A read-only stream that returns a few already-read bytes and then the rest of its inner stream.</summary>
internal sealed class PeekedStream : ReadOnlyStream
{
    private readonly Stream _inner;
    private readonly byte[] _head;
    private int _headPosition;

    private PeekedStream(Stream inner, byte[] head)
    {
        _inner = inner;
        _head = head;
    }

    /// <summary>The first bytes (fewer than asked only at end of stream).</summary>
    public ReadOnlySpan<byte> Head => _head;

    /// <summary>Reads up to <paramref name="count"/> bytes from <paramref name="inner"/> and wraps it.</summary>
    public static PeekedStream Create(Stream inner, int count)
    {
        var head = new byte[count];
        var read = inner.ReadAtLeast(head, count, throwOnEndOfStream: false);
        return new PeekedStream(inner, read == count ? head : head[..read]);
    }

    public override int Read(Span<byte> buffer)
    {
        if (_headPosition < _head.Length)
        {
            var n = Math.Min(buffer.Length, _head.Length - _headPosition);
            _head.AsSpan(_headPosition, n).CopyTo(buffer);
            _headPosition += n;
            return n;
        }

        return _inner.Read(buffer);
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _inner.Dispose();
        }

        base.Dispose(disposing);
    }
}
