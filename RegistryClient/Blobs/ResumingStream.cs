using CvmfsImages.Registry.Names;
using Microsoft.Extensions.Logging;

namespace CvmfsImages.Registry.Blobs;

/// <summary>
/// A blob download that survives dropped connections: when reading fails (or the body ends before the blob's size),
/// it asks again from the current offset with a <c>Range</c> request, at most a bounded number of times. A server that
/// ignores the range (200 instead of 206) is read from the start and the known prefix skipped. A read that brings no
/// data for the idle timeout counts as a dropped connection (a stalled socket must not hang a sync forever).
/// </summary>
internal sealed class ResumingStream : ReadOnlyStream
{
    /// <summary>Opens the blob from an offset; returns the body and the offset it starts at (the offset or 0).</summary>
    public delegate Task<(Stream Body, long Start)> Opener(long offset, CancellationToken cancellationToken);

    private readonly Opener _open;
    private readonly Digest _digest;
    private readonly long _size;
    private readonly ILogger _logger;
    private readonly TimeSpan _idleTimeout;
    private Stream _current;
    private CancellationTokenSource? _idle;
    private long _currentOffset;
    private long _position;
    private int _resumesLeft;
    private int _resumes;

    public ResumingStream(Stream first, Opener open, Digest digest, long size, int maxResumes, TimeSpan idleTimeout, ILogger logger)
    {
        _idleTimeout = idleTimeout;
        _current = first;
        _open = open;
        _digest = digest;
        _size = size;
        _resumesLeft = maxResumes;
        _logger = logger;
    }

    public override long Length => _size;

    protected override long BytesRead => _position;

    public override int Read(Span<byte> buffer)
    {
        var rented = new byte[buffer.Length];
        var read = ReadAsync(rented, CancellationToken.None).AsTask().GetAwaiter().GetResult();
        rented.AsSpan(0, read).CopyTo(buffer);
        return read;
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        while (true)
        {
            var endedEarly = false;
            try
            {
                await SkipToPositionAsync(cancellationToken);
                var read = await ReadWithIdleTimeoutAsync(buffer, cancellationToken);
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
                try
                {
                    (_current, _currentOffset) = await _open(_position, cancellationToken);
                }
                catch (RegistryException range) when (range.Status == System.Net.HttpStatusCode.RequestedRangeNotSatisfiable)
                {
                    // The server has no bytes beyond this point: the blob is short, which the verifier reports.
                    _current = Stream.Null;
                    _currentOffset = _position;
                    _resumesLeft = 0;
                }
            }
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _current.Dispose();
            _idle?.Dispose();
        }

        base.Dispose(disposing);
    }

    public override async ValueTask DisposeAsync()
    {
        await _current.DisposeAsync();
        _idle?.Dispose();
        await base.DisposeAsync();
    }

    // One CancellationTokenSource per stream, re-armed per read (TryReset): no timer allocated for every read.
    private async ValueTask<int> ReadWithIdleTimeoutAsync(Memory<byte> buffer, CancellationToken cancellationToken)
    {
        if (_idle is null || !_idle.TryReset())
        {
            _idle?.Dispose();
            _idle = new CancellationTokenSource();
        }

        _idle.CancelAfter(_idleTimeout);
        using var caller = cancellationToken.CanBeCanceled
            ? cancellationToken.UnsafeRegister(static s => ((CancellationTokenSource)s!).Cancel(), _idle)
            : default;
        try
        {
            return await _current.ReadAsync(buffer, _idle.Token);
        }
        catch (OperationCanceledException ex) when (!cancellationToken.IsCancellationRequested)
        {
            throw new IOException($"no data for {_idleTimeout.TotalSeconds:0.#} s at byte {_position}", ex);
        }
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
            var read = await ReadWithIdleTimeoutAsync(scratch.AsMemory(0, (int)Math.Min(scratch.Length, _position - _currentOffset)), cancellationToken);
            if (read == 0)
            {
                throw new IOException($"the connection ended at byte {_currentOffset} while skipping to byte {_position}");
            }

            _currentOffset += read;
        }
    }
}
