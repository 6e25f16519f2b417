using CvmfsImages.Registry.Names;

namespace CvmfsImages.Registry.Blobs;

/// <summary>
/// Reads a verified blob stream and writes every byte to a temporary file; at EOF (when the source has verified size
/// and digest) the file is committed into the <see cref="BlobCache"/>. Any failure, or disposal before EOF, deletes the
/// temporary file: nothing unverified or partial ever enters the cache.
/// </summary>
internal sealed class CacheWritingStream : Stream
{
    private readonly BlobCache _cache;
    private readonly Stream _source;
    private readonly FileStream _file;
    private readonly string _temp;
    private readonly Digest _digest;
    private readonly long _size;
    private bool _done;

    public CacheWritingStream(BlobCache cache, Stream source, FileStream file, string temp, Digest digest, long size)
    {
        _cache = cache;
        _source = source;
        _file = file;
        _temp = temp;
        _digest = digest;
        _size = size;
    }

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => _size;

    public override long Position
    {
        get => _source.Position;
        set => throw new NotSupportedException();
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        int read;
        try
        {
            read = _source.Read(buffer);
            if (read > 0)
            {
                _file.Write(buffer[..read]);
            }
        }
        catch
        {
            Abort();
            throw;
        }

        if (read == 0 && buffer.Length > 0)
        {
            Complete();
        }

        return read;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        int read;
        try
        {
            read = await _source.ReadAsync(buffer, cancellationToken);
            if (read > 0)
            {
                // Synchronous: page-cache writes are faster than the thread-pool hop of async file I/O on Linux.
                _file.Write(buffer.Span[..read]);
            }
        }
        catch
        {
            Abort();
            throw;
        }

        if (read == 0 && buffer.Length > 0)
        {
            Complete();
        }

        return read;
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
            Abort();
            _source.Dispose();
        }

        base.Dispose(disposing);
    }

    private void Complete()
    {
        if (_done)
        {
            return;
        }

        _done = true;
        try
        {
            _file.Dispose();
            _cache.Commit(_temp, _digest, _size);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // The blob was delivered and verified; failing to cache it must not fail the reader.
            _cache.TryDelete(_temp);
            _cache.ReportProblem($"cannot store {_digest}", ex);
        }
    }

    private void Abort()
    {
        if (_done)
        {
            return;
        }

        _done = true;
        _file.Dispose();
        _cache.TryDelete(_temp);
    }
}
