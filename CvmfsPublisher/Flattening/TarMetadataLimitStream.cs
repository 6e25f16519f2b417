using System.Buffers;
using System.Globalization;
using System.Text;

namespace CvmfsImages.Publisher.Flattening;

/// <summary>
/// A pass-through stream over a tar that refuses, before <see cref="System.Formats.Tar.TarReader"/> sees it, a PAX
/// extended header (<c>x</c>, <c>g</c>) or a GNU long name (<c>L</c>, <c>K</c>) larger than
/// <see cref="MaxMetadataSize"/>: the reader loads those whole into memory, so a small compressed layer could
/// otherwise make it allocate up to 2 GiB. The limit is Go's <c>archive/tar</c> one (used by Docker, containerd and
/// umoci), so no image those tools read is refused.
/// </summary>
/// <remarks>
/// It follows the archive block by block as the reader does (header, data rounded up to 512 bytes, a PAX
/// <c>size</c> record overriding the next header's size) and only inspects headers; it stops looking at the end of
/// the archive (where the reader stops) or at anything it cannot parse, which the reader then reports itself.
/// </remarks>
internal sealed class TarMetadataLimitStream : ReadOnlyStream
{
    /// <summary>The largest PAX header or GNU long name accepted (1 MiB, as Go's archive/tar).</summary>
    public const int MaxMetadataSize = 1 << 20;

    private const int Block = 512;

    private readonly Stream _inner;
    private readonly byte[] _header = new byte[Block];
    private State _state = State.Header;
    private long _position;
    private long _skip;
    private int _headerFill;
    private byte[]? _pax;
    private int _paxLength;
    private int _paxFill;
    private long? _sizeOverride;

    public TarMetadataLimitStream(Stream inner)
    {
        _inner = inner;
    }

    private enum State
    {
        Header,
        Skip,
        Pax,
        Off,
    }

    public override long Position
    {
        get => _position;
        set => throw new NotSupportedException();
    }

    public override int Read(Span<byte> buffer)
    {
        var n = _inner.Read(buffer);
        if (n > 0 && _state != State.Off)
        {
            Inspect(buffer[..n]);
        }

        _position += n;
        return n;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            ReturnPax();
            _inner.Dispose();
        }

        base.Dispose(disposing);
    }

    private void Inspect(ReadOnlySpan<byte> data)
    {
        var at = _position;
        while (!data.IsEmpty && _state != State.Off)
        {
            switch (_state)
            {
                case State.Skip:
                {
                    var n = (int)Math.Min(_skip, data.Length);
                    _skip -= n;
                    data = data[n..];
                    at += n;
                    if (_skip == 0)
                    {
                        _state = State.Header;
                    }

                    break;
                }

                case State.Header:
                {
                    var n = Math.Min(Block - _headerFill, data.Length);
                    data[..n].CopyTo(_header.AsSpan(_headerFill));
                    _headerFill += n;
                    data = data[n..];
                    at += n;
                    if (_headerFill == Block)
                    {
                        _headerFill = 0;
                        OnHeader(at - Block);
                    }

                    break;
                }

                case State.Pax:
                {
                    var n = Math.Min(_paxLength - _paxFill, data.Length);
                    data[..n].CopyTo(_pax.AsSpan(_paxFill));
                    _paxFill += n;
                    data = data[n..];
                    at += n;
                    if (_paxFill == _paxLength)
                    {
                        _sizeOverride = PaxSize(_pax.AsSpan(0, _paxLength));
                        ReturnPax();
                        SkipData(0, Pad(_paxLength)); // the data itself was just read
                    }

                    break;
                }
            }
        }
    }

    private void OnHeader(long offset)
    {
        var header = _header.AsSpan();

        // As the reader: a header without a checksum is the end of the archive; nothing after it is read as entries.
        var checksum = header.Slice(148, 8);
        if (checksum.IndexOfAnyExcept((byte)0) < 0 || !TryParseNumber(checksum, out var sum) || sum == 0 ||
            !TryParseNumber(header.Slice(124, 12), out var size))
        {
            _state = State.Off;
            return;
        }

        var type = (char)header[156];
        if (type is 'x' or 'g' or 'L' or 'K')
        {
            if (size > MaxMetadataSize)
            {
                var what = type is 'x' or 'g' ? $"a PAX extended header ('{type}')" : $"a GNU long {(type == 'L' ? "name" : "link target")} ('{type}')";
                throw new InvalidDataException(string.Create(
                    CultureInfo.InvariantCulture,
                    $"{what} of {size} bytes at offset {offset}; at most {MaxMetadataSize} bytes are accepted"));
            }

            if (type == 'x' && size > 0)
            {
                _paxLength = (int)size;
                _paxFill = 0;
                _pax = ArrayPool<byte>.Shared.Rent(_paxLength);
                _state = State.Pax;
                return;
            }

            SkipData(size, Pad(size));
            return;
        }

        // An entry: its data is the PAX size when one was given, else the header's; links, directories and devices
        // have none (the reader refuses those that claim some).
        var dataSize = _sizeOverride ?? size;
        _sizeOverride = null;
        if (type is '1' or '2' or '3' or '4' or '5' or '6')
        {
            if (dataSize != 0)
            {
                _state = State.Off;
            }

            return;
        }

        SkipData(dataSize, Pad(dataSize));
    }

    private void SkipData(long size, long padding)
    {
        _skip = size + padding;
        _state = _skip > 0 ? State.Skip : State.Header;
    }

    private static long Pad(long size) => (Block - (size % Block)) % Block;

    private void ReturnPax()
    {
        if (_pax is not null)
        {
            ArrayPool<byte>.Shared.Return(_pax);
            _pax = null;
        }
    }

    // The "size" record of a PAX header ("<len> size=<decimal>\n"), if any; the last one wins, as in the reader.
    private static long? PaxSize(ReadOnlySpan<byte> pax)
    {
        long? size = null;
        while (!pax.IsEmpty)
        {
            var space = pax.IndexOf((byte)' ');
            if (space <= 0 || !int.TryParse(pax[..space], NumberStyles.None, CultureInfo.InvariantCulture, out var length) ||
                length <= space || length > pax.Length)
            {
                break;
            }

            var record = pax.Slice(space + 1, length - space - 1);
            if (record.StartsWith("size="u8) && record.EndsWith("\n"u8) &&
                long.TryParse(Encoding.ASCII.GetString(record[5..^1]), NumberStyles.None, CultureInfo.InvariantCulture, out var value))
            {
                size = value;
            }

            pax = pax[length..];
        }

        return size;
    }

    // A tar number: octal digits (leading spaces/NULs, ending at a NUL or space), or base-256 when the top bit is set.
    private static bool TryParseNumber(ReadOnlySpan<byte> field, out long value)
    {
        value = 0;
        if ((field[0] & 0x80) != 0)
        {
            if (field[0] == 0xFF)
            {
                return false; // negative
            }

            value = field[0] & 0x7F;
            foreach (var b in field[1..])
            {
                if (value > (long.MaxValue >> 8))
                {
                    value = long.MaxValue;
                    return true;
                }

                value = (value << 8) | b;
            }

            return true;
        }

        var i = 0;
        while (i < field.Length && field[i] is (byte)' ' or 0)
        {
            i++;
        }

        for (; i < field.Length && field[i] is not ((byte)' ' or 0); i++)
        {
            if (field[i] is < (byte)'0' or > (byte)'7' || value > (long.MaxValue >> 3))
            {
                return false;
            }

            value = (value << 3) | (long)(field[i] - '0');
        }

        return true;
    }
}
