using CvmfsImages.Registry.Names;
using Microsoft.Extensions.Logging;

namespace CvmfsImages.Registry.Blobs;

/// <summary>
/// A blob download that survives dropped connections: when reading fails (or the body ends before the blob's size),
/// it asks again from the current offset with a <c>Range</c> request, at most a bounded number of times. A server that
/// ignores the range (200 instead of 206) is read from the start and the known prefix skipped.
/// </summary>
internal sealed class ResumingStream : Stream
{
    /// <summary>Opens the blob from an offset; returns the body and the offset it starts at (the offset or 0).</summary>
    public delegate Task<(Stream Body, long Start)> Opener(long offset, CancellationToken cancellationToken);

    private readonly Opener _open;
    private readonly Digest _digest;
    private readonly long _size;
    private readonly ILogger _logger;
    private Stream _current;
    private long _currentOffset;
    private long _position;
    private int _resumesLeft;
    private int _resumes;

    public ResumingStream(Stream first, Opener open, Digest digest, long size, int maxResumes, ILogger logger)
    {
        _current = first;
        _open = open;
        _digest = digest;
        _size = size;
        _resumesLeft = maxResumes;
        _logger = logger;
    }

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => _size;

    public override long Position
    {
        get => _position;
        set => throw new NotSupportedException();
    }

    public override int Read(byte[] buffer, int offset, int count) =>
        ReadAsync(buffer.AsMemory(offset, count), CancellationToken.None).AsTask().GetAwaiter().GetResult();

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        while (true)
        {
            var endedEarly = false;
            try
            {
                await SkipToPositionAsync(cancellationToken);
                var read = await _current.ReadAsync(buffer, cancellationToken);
                if (read == 0 && _position < _size && buffer.Length > 0)
                {
                    endedEarly = true;
                    throw new IOException($"the connection ended at byte {_position} of {_size}");
                }

                _position += read;
                _currentOffset += read;
                return read;
            }
            catch (Exception ex) when (ex is IOException or HttpRequestException && !cancellationToken.IsCancellationRequested)
            {
                if (_resumesLeft == 0)
                {
                    if (endedEarly)
                    {
                        return 0; // the verifier reports the short blob with its sizes
                    }

                    throw new RegistryException(
                        $"download of {_digest} failed at byte {_position} of {_size} after {_resumes} resumed attempts: {ex.Message}",
                        _digest.ToString(), isTransient: true, innerException: ex);
                }

                _resumesLeft--;
                _resumes++;
                Registry.RegistryClient.Log.BlobResuming(_logger, _digest, _position, ex.Message, _resumes);
                await _current.DisposeAsync();
                _current = Stream.Null;
                (_current, _currentOffset) = await _open(_position, cancellationToken);
            }
        }
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
            _current.Dispose();
        }

        base.Dispose(disposing);
    }

    public override async ValueTask DisposeAsync()
    {
        await _current.DisposeAsync();
        await base.DisposeAsync();
    }

    private async Task SkipToPositionAsync(CancellationToken cancellationToken)
    {
        if (_currentOffset >= _position)
        {
            return;
        }

        var scratch = new byte[81920];
        while (_currentOffset < _position)
        {
            var read = await _current.ReadAsync(scratch.AsMemory(0, (int)Math.Min(scratch.Length, _position - _currentOffset)), cancellationToken);
            if (read == 0)
            {
                throw new IOException($"the connection ended at byte {_currentOffset} while skipping to byte {_position}");
            }

            _currentOffset += read;
        }
    }
}
