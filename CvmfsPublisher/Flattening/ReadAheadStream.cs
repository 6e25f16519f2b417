using System.Buffers;
using System.Collections.Concurrent;
using System.Runtime.ExceptionServices;

namespace CvmfsImages.Publisher.Flattening;

/// <summary>
/// Reads its inner stream on a separate thread into a few fixed buffers, so decompression and hashing overlap with
/// writing files (as <c>tar -xz</c> overlaps with its <c>gzip</c> child). Memory is bounded: <see cref="Buffers"/>
/// buffers of <see cref="ChunkSize"/> bytes, whatever the layer's size. An error of the inner stream is rethrown, with
/// its type, by the read that reaches it.
/// </summary>
internal sealed class ReadAheadStream : ReadOnlyStream
{
    public const int ChunkSize = 512 * 1024;
    public const int Buffers = 4;

    private readonly Stream _inner;
    private readonly BlockingCollection<byte[]> _free = new(Buffers);
    private readonly BlockingCollection<Chunk> _full = new(Buffers);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _producer;
    private Chunk _current;
    private int _position;
    private bool _done;
    private bool _disposed;

    public ReadAheadStream(Stream inner)
    {
        _inner = inner;
        for (var i = 0; i < Buffers; i++)
        {
            _free.Add(ArrayPool<byte>.Shared.Rent(ChunkSize));
        }

        _producer = Task.Factory.StartNew(Produce, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
    }

    public override int Read(Span<byte> buffer)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (buffer.IsEmpty)
        {
            return 0;
        }

        while (_current.Buffer is null || _position == _current.Length)
        {
            if (_done)
            {
                return 0;
            }

            if (_current.Buffer is not null)
            {
                _free.Add(_current.Buffer);
                _current = default;
            }

            var next = _full.Take();
            if (next.Error is not null)
            {
                _done = true;
                next.Error.Throw();
            }

            if (next.Length == 0)
            {
                _done = true;
                _free.Add(next.Buffer!);
                return 0;
            }

            _current = next;
            _position = 0;
        }

        var n = Math.Min(buffer.Length, _current.Length - _position);
        _current.Buffer.AsSpan(_position, n).CopyTo(buffer);
        _position += n;
        return n;
    }

    protected override void Dispose(bool disposing)
    {
        if (!_disposed && disposing)
        {
            _disposed = true;
            _stop.Cancel();

            // The producer stops at its next buffer hand-over; an inner read in progress finishes first.
            try
            {
                _producer.Wait();
            }
            catch (AggregateException)
            {
            }

            _inner.Dispose();
            if (_current.Buffer is not null)
            {
                ArrayPool<byte>.Shared.Return(_current.Buffer);
            }

            while (_full.TryTake(out var chunk))
            {
                if (chunk.Buffer is not null)
                {
                    ArrayPool<byte>.Shared.Return(chunk.Buffer);
                }
            }

            while (_free.TryTake(out var free))
            {
                ArrayPool<byte>.Shared.Return(free);
            }

            _free.Dispose();
            _full.Dispose();
            _stop.Dispose();
        }

        base.Dispose(disposing);
    }

    private void Produce()
    {
        var token = _stop.Token;
        try
        {
            while (true)
            {
                var buffer = _free.Take(token);
                int n;
                try
                {
                    n = _inner.ReadAtLeast(buffer, ChunkSize, throwOnEndOfStream: false);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    _full.Add(new Chunk(buffer, 0, ExceptionDispatchInfo.Capture(ex)), token);
                    return;
                }

                _full.Add(new Chunk(buffer, n, null), token);
                if (n == 0)
                {
                    return;
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Disposed while reading ahead.
        }
    }

    private readonly record struct Chunk(byte[]? Buffer, int Length, ExceptionDispatchInfo? Error);
}
