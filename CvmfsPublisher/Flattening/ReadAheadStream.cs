using System.Buffers;
using System.Runtime.ExceptionServices;
using System.Security.Cryptography;

namespace CvmfsImages.Publisher.Flattening;

/// <summary>
/// One stage of a layer's pipeline: a thread of its own opens its source and reads it ahead into a few fixed
/// buffers, so that reading, decompressing, hashing and writing files overlap across cores (as <c>tar -xz</c>
/// overlaps with its <c>gzip</c> child). Memory is bounded: <c>buffers</c> buffers of <c>chunkSize</c> bytes,
/// whatever the layer's size; the thread waits while they are all full. An error of the source (or of opening it) is
/// rethrown, with its type, by every read that reaches it.
/// </summary>
/// <remarks>
/// <see cref="Stop"/> wakes both sides without waiting (a reader or the thread blocked on the buffers ends with an
/// <see cref="ObjectDisposedException"/>); a read of the source in progress is not interrupted, which is why the
/// pipeline disposes the layer's source stream first when it abandons a layer. <see cref="Dispose(bool)"/> stops,
/// waits for the thread, then disposes the source and returns the buffers.
/// </remarks>
internal sealed class ReadAheadStream : ReadOnlyStream
{
    public const int DefaultChunkSize = 512 * 1024;
    public const int DefaultBuffers = 4;

    private readonly Func<Stream> _open;
    private readonly IncrementalHash? _hash;
    private readonly int _chunkSize;
    private readonly object _gate = new();
    private readonly Queue<Chunk> _filled;
    private readonly Queue<Chunk> _full;
    private readonly Stack<byte[]> _free;
    private readonly Thread _thread;
    private readonly Thread? _hasher;
    private Stream? _inner;
    private bool _stopped;
    private byte[]? _current;
    private int _length;
    private int _position;
    private ExceptionDispatchInfo? _error;
    private bool _ended;
    private bool _disposed;
    private long _bytesRead;

    /// <summary>Starts a thread named <paramref name="name"/> that opens the source with <paramref name="open"/> and reads it ahead.</summary>
    /// <param name="open">Opens the source (on the stage's thread).</param>
    /// <param name="name">The thread's name.</param>
    /// <param name="chunkSize">The size of each buffer.</param>
    /// <param name="buffers">How many buffers are read ahead at most.</param>
    /// <param name="sha256Thread">When set, everything read is sha256-hashed (see <see cref="Digest"/>) on a second thread of
    /// this name, which takes each chunk in order before the reader does.</param>
    public ReadAheadStream(Func<Stream> open, string name, int chunkSize = DefaultChunkSize, int buffers = DefaultBuffers, string? sha256Thread = null)
    {
        ArgumentNullException.ThrowIfNull(open);
        ArgumentOutOfRangeException.ThrowIfLessThan(chunkSize, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(buffers, 2);
        _open = open;
        _hash = sha256Thread is null ? null : IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        _chunkSize = chunkSize;
        _filled = new Queue<Chunk>(buffers);
        _full = new Queue<Chunk>(buffers);
        _free = new Stack<byte[]>(buffers);
        for (var i = 0; i < buffers; i++)
        {
            _free.Push(ArrayPool<byte>.Shared.Rent(chunkSize));
        }

        _thread = new Thread(Produce) { IsBackground = true, Name = name };
        if (_hash is not null)
        {
            _hasher = new Thread(Hash) { IsBackground = true, Name = sha256Thread };
            _hasher.Start();
        }

        _thread.Start();
    }

    /// <summary>Reads <paramref name="inner"/> ahead (already open).</summary>
    public ReadAheadStream(Stream inner, string name = "flatten read-ahead", int chunkSize = DefaultChunkSize, int buffers = DefaultBuffers)
        : this(() => inner, name, chunkSize, buffers)
    {
    }

    /// <summary>Bytes the reader has consumed so far.</summary>
    public long BytesRead => Volatile.Read(ref _bytesRead);

    public override long Position
    {
        get => BytesRead;
        set => throw new NotSupportedException();
    }

    /// <summary><c>sha256:&lt;hex&gt;</c> of the whole source; only when hashing, once a read has returned its end.</summary>
    public string Digest()
    {
        if (_hash is null || !_ended || _error is not null)
        {
            throw new InvalidOperationException("The digest is known only once the whole stream has been read (and hashed).");
        }

        return "sha256:" + Convert.ToHexStringLower(_hash.GetCurrentHash());
    }

    public override int Read(Span<byte> buffer)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (buffer.IsEmpty)
        {
            return 0;
        }

        if (_current is null || _position == _length)
        {
            if (!Next())
            {
                return 0;
            }
        }

        var n = Math.Min(buffer.Length, _length - _position);
        _current.AsSpan(_position, n).CopyTo(buffer);
        _position += n;
        Volatile.Write(ref _bytesRead, _bytesRead + n);
        return n;
    }

    /// <summary>Wakes the reader and the thread without waiting; both end (the reader with an <see cref="ObjectDisposedException"/>).</summary>
    public void Stop()
    {
        lock (_gate)
        {
            _stopped = true;
            Monitor.PulseAll(_gate);
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (!_disposed && disposing)
        {
            _disposed = true;
            Stop();
            _thread.Join();
            _hasher?.Join();
            _inner?.Dispose();
            if (_current is not null)
            {
                ArrayPool<byte>.Shared.Return(_current);
                _current = null;
            }

            while (_filled.TryDequeue(out var chunk) || _full.TryDequeue(out chunk))
            {
                if (chunk.Buffer is not null)
                {
                    ArrayPool<byte>.Shared.Return(chunk.Buffer);
                }
            }

            while (_free.TryPop(out var free))
            {
                ArrayPool<byte>.Shared.Return(free);
            }

            _hash?.Dispose();
        }

        base.Dispose(disposing);
    }

    // Hands the finished chunk back and takes the next one; false at the end of the source.
    private bool Next()
    {
        if (_ended)
        {
            _error?.Throw();
            return false;
        }

        Chunk next;
        lock (_gate)
        {
            if (_current is not null)
            {
                _free.Push(_current);
                _current = null;
                Monitor.PulseAll(_gate);
            }

            while (_full.Count == 0 && !_stopped)
            {
                Monitor.Wait(_gate);
            }

            if (_full.Count == 0)
            {
                throw new ObjectDisposedException(nameof(ReadAheadStream), "The layer's pipeline was stopped.");
            }

            next = _full.Dequeue();
        }

        if (next.Error is not null || next.Length == 0)
        {
            _ended = true;
            _error = next.Error;
            if (next.Buffer is not null)
            {
                lock (_gate)
                {
                    _free.Push(next.Buffer);
                }
            }

            _error?.Throw();
            return false;
        }

        _current = next.Buffer;
        _length = next.Length;
        _position = 0;
        return true;
    }

    private void Produce()
    {
        Stream inner;
        try
        {
            inner = _open();
        }
        catch (Exception ex)
        {
            Post(new Chunk(null, 0, ExceptionDispatchInfo.Capture(ex)));
            return;
        }

        lock (_gate)
        {
            _inner = inner;
        }

        while (true)
        {
            byte[] buffer;
            lock (_gate)
            {
                while (_free.Count == 0 && !_stopped)
                {
                    Monitor.Wait(_gate);
                }

                if (_stopped)
                {
                    return;
                }

                buffer = _free.Pop();
            }

            int n;
            try
            {
                n = inner.ReadAtLeast(buffer.AsSpan(0, _chunkSize), _chunkSize, throwOnEndOfStream: false);
            }
            catch (Exception ex)
            {
                Post(new Chunk(buffer, 0, ExceptionDispatchInfo.Capture(ex)));
                return;
            }

            Post(new Chunk(buffer, n, null));
            if (n == 0)
            {
                return;
            }
        }
    }

    private void Post(Chunk chunk)
    {
        lock (_gate)
        {
            (_hasher is null ? _full : _filled).Enqueue(chunk);
            Monitor.PulseAll(_gate);
        }
    }

    // The second thread when hashing: takes the chunks in order, hashes them and passes them on to the reader, so that
    // decompressing, hashing and the reader's work run on three cores.
    private void Hash()
    {
        while (true)
        {
            Chunk chunk;
            lock (_gate)
            {
                while (_filled.Count == 0 && !_stopped)
                {
                    Monitor.Wait(_gate);
                }

                if (_stopped)
                {
                    return;
                }

                chunk = _filled.Dequeue();
            }

            var last = chunk.Error is not null || chunk.Length == 0;
            if (!last)
            {
                _hash!.AppendData(chunk.Buffer.AsSpan(0, chunk.Length));
            }

            lock (_gate)
            {
                _full.Enqueue(chunk);
                Monitor.PulseAll(_gate);
            }

            if (last)
            {
                return;
            }
        }
    }

    private readonly record struct Chunk(byte[]? Buffer, int Length, ExceptionDispatchInfo? Error);
}
