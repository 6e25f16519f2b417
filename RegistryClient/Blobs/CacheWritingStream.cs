using CvmfsImages.Registry.Names;

namespace CvmfsImages.Registry.Blobs;

/// <summary>
/// Reads a verified blob stream and writes every byte to a temporary file; at EOF (when the source has verified size
/// and digest) the file is committed into the <see cref="BlobCache"/>. Any failure, or disposal before EOF, deletes the
/// temporary file: nothing unverified or partial ever enters the cache.
/// </summary>
internal sealed class CacheWritingStream : ReadOnlyStream
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

    public override long Length => _size;

    protected override long BytesRead => _source.Position;

    public override int Read(Span<byte> buffer)
    {
        int read;
        try
        {
            read = _source.Read(buffer);
        }
        catch
        {
            Abort();
            throw;
        }

        return Accept(buffer[..read], buffer.Length);
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        int read;
        try
        {
            read = await _source.ReadAsync(buffer, cancellationToken);
        }
        catch
        {
            Abort();
            throw;
        }

        return Accept(buffer.Span[..read], buffer.Length);
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            Abort();
            _source.Dispose();
        }

        base.Dispose(disposing);
    }

    // Writes what was read to the temporary file; an empty read of a non-empty buffer is EOF: the source has verified.
    private int Accept(ReadOnlySpan<byte> data, int asked)
    {
        if (data.Length > 0)
        {
            try
            {
                // Synchronous: page-cache writes are faster than the thread-pool hop of async file I/O on Linux.
                _file.Write(data);
            }
            catch
            {
                Abort();
                throw;
            }
        }
        else if (asked > 0)
        {
            Complete();
        }

        return data.Length;
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
