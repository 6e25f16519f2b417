using System.Buffers;
using CvmfsImages.Publisher.Flattening;

namespace CvmfsImages.Publisher.Native;

/// <summary>
/// A read-only stream that decompresses zstd (one or more concatenated frames) from an inner stream through the
/// system's libzstd. Input ending inside a frame is an <see cref="InvalidDataException"/>.
/// </summary>
internal sealed unsafe class ZstdDecompressionStream : ReadOnlyStream
{
    private readonly Stream _inner;
    private readonly byte[] _input;
    private nint _stream;
    private int _inputLength;
    private int _inputPosition;
    private bool _innerDone;
    private bool _frameOpen;

    public ZstdDecompressionStream(Stream inner)
    {
        if (!Zstd.IsAvailable)
        {
            throw new DllNotFoundException($"zstd layers need the system's {Zstd.LibraryName}; install it (Debian: apt-get install libzstd1).");
        }

        _inner = inner;
        _stream = Zstd.CreateDStream();
        if (_stream == 0)
        {
            throw new InvalidOperationException("ZSTD_createDStream failed (out of memory)");
        }

        Check(Zstd.InitDStream(_stream));
        _input = ArrayPool<byte>.Shared.Rent((int)Math.Max(Zstd.DStreamInSize(), 128 * 1024));
    }

    public override int Read(Span<byte> buffer)
    {
        ObjectDisposedException.ThrowIf(_stream == 0, this);
        if (buffer.IsEmpty)
        {
            return 0;
        }

        fixed (byte* outPtr = buffer)
        fixed (byte* inPtr = _input)
        {
            var output = new Zstd.Buffer { Pointer = outPtr, Size = (nuint)buffer.Length, Position = 0 };
            while (output.Position == 0)
            {
                if (_inputPosition == _inputLength)
                {
                    if (_innerDone)
                    {
                        if (_frameOpen)
                        {
                            throw new InvalidDataException("The zstd stream ends inside a frame (truncated).");
                        }

                        return 0;
                    }

                    _inputLength = _inner.Read(_input, 0, _input.Length);
                    _inputPosition = 0;
                    if (_inputLength == 0)
                    {
                        _innerDone = true;
                        continue;
                    }
                }

                var input = new Zstd.Buffer { Pointer = inPtr, Size = (nuint)_inputLength, Position = (nuint)_inputPosition };
                var hint = Zstd.DecompressStream(_stream, &output, &input);
                Check(hint);
                _inputPosition = (int)input.Position;

                // 0: a frame is complete and fully flushed; anything else: more input (or output room) needed.
                _frameOpen = hint != 0;
            }

            return (int)output.Position;
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (_stream != 0)
        {
            Zstd.FreeDStream(_stream);
            _stream = 0;
            ArrayPool<byte>.Shared.Return(_input);
            if (disposing)
            {
                _inner.Dispose();
            }
        }

        base.Dispose(disposing);
    }

    private static void Check(nuint code)
    {
        if (Zstd.IsError(code) != 0)
        {
            throw new InvalidDataException($"zstd: {Zstd.ErrorName(code)}");
        }
    }
}
