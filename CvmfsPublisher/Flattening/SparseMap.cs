using System.Formats.Tar;
using System.Globalization;

namespace CvmfsImages.Publisher.Flattening;

/// <summary>
/// GNU sparse files stored in PAX archives (what GNU tar <c>--sparse --format=posix</c> and bsdtar write):
/// format 1.0 (map at the start of the data, <c>GNU.sparse.major=1</c>) and 0.1 (<c>GNU.sparse.map</c>).
/// <see cref="TarReader"/> hands these over as regular files with a placeholder name and the packed data; this turns
/// them back into the real name, size and data layout. Format 0.0 and the old GNU 'S' header are rejected by
/// <see cref="TarReader"/> itself.
/// </summary>
internal sealed class SparseMap
{
    private const int MaxSegments = 1 << 20;

    private SparseMap(long realSize, List<(long Offset, long Length)> segments, bool mapInData)
    {
        RealSize = realSize;
        Segments = segments;
        MapInData = mapInData;
    }

    /// <summary>The file's size once expanded.</summary>
    public long RealSize { get; }

    /// <summary>The data segments (offset in the file, length), in order; the rest is holes.</summary>
    public List<(long Offset, long Length)> Segments { get; private set; }

    /// <summary>True for format 1.0: the map is at the start of the entry's data and must be read first.</summary>
    public bool MapInData { get; }

    /// <summary>The sparse layout an entry declares, or null when it is not sparse.</summary>
    /// <exception cref="EntryRefusedException">The sparse attributes are malformed.</exception>
    public static SparseMap? Detect(PaxTarEntry entry)
    {
        var attributes = entry.ExtendedAttributes;
        if (attributes.TryGetValue("GNU.sparse.major", out var major) && major == "1")
        {
            if (!attributes.TryGetValue("GNU.sparse.minor", out var minor) || minor != "0")
            {
                throw new EntryRefusedException($"unsupported GNU sparse format 1.{minor}");
            }

            return new SparseMap(Number(attributes, "GNU.sparse.realsize"), [], mapInData: true);
        }

        if (attributes.TryGetValue("GNU.sparse.map", out var map))
        {
            var size = attributes.ContainsKey("GNU.sparse.size") ? Number(attributes, "GNU.sparse.size") : Number(attributes, "GNU.sparse.realsize");
            var numbers = map.Length == 0 ? [] : map.Split(',');
            if (numbers.Length % 2 != 0 || numbers.Length / 2 > MaxSegments)
            {
                throw new EntryRefusedException("malformed GNU.sparse.map");
            }

            var segments = new List<(long, long)>(numbers.Length / 2);
            for (var i = 0; i < numbers.Length; i += 2)
            {
                segments.Add((Parse(numbers[i]), Parse(numbers[i + 1])));
            }

            var sparse = new SparseMap(size, segments, mapInData: false);
            sparse.Validate(entry.Length);
            return sparse;
        }

        if (attributes.Keys.Any(k => k.StartsWith("GNU.sparse.", StringComparison.Ordinal)))
        {
            throw new EntryRefusedException("unsupported GNU sparse format (only PAX 0.1 and 1.0 are read)");
        }

        return null;
    }

    /// <summary>Reads the 1.0 map from the start of the data; returns how many data bytes it took (a multiple of 512).</summary>
    public long ReadMapFromData(Stream data, long dataLength)
    {
        var block = new byte[512];
        var numbers = new List<long>();
        var current = new System.Text.StringBuilder();
        long consumed = 0;
        long expected = -1;
        while (expected < 0 || numbers.Count < expected)
        {
            if (consumed + 512 > dataLength)
            {
                throw new EntryRefusedException("the sparse map runs past the entry's data");
            }

            data.ReadExactly(block);
            consumed += 512;
            foreach (var b in block)
            {
                if (expected >= 0 && numbers.Count >= expected)
                {
                    break;
                }

                if (b == (byte)'\n')
                {
                    numbers.Add(Parse(current.ToString()));
                    current.Clear();
                    if (numbers.Count == 1)
                    {
                        if (numbers[0] > MaxSegments)
                        {
                            throw new EntryRefusedException($"the sparse map declares {numbers[0]} segments");
                        }

                        expected = 1 + (2 * numbers[0]);
                    }
                }
                else if (b is >= (byte)'0' and <= (byte)'9' && current.Length < 20)
                {
                    current.Append((char)b);
                }
                else
                {
                    throw new EntryRefusedException("malformed sparse map in the entry's data");
                }
            }
        }

        var segments = new List<(long, long)>((int)numbers[0]);
        for (var i = 1; i < numbers.Count; i += 2)
        {
            segments.Add((numbers[i], numbers[i + 1]));
        }

        Segments = segments;
        Validate(dataLength - consumed);
        return consumed;
    }

    private void Validate(long storedBytes)
    {
        long end = 0;
        long total = 0;
        foreach (var (offset, length) in Segments)
        {
            if (offset < end || length < 0 || offset > RealSize || length > RealSize - offset)
            {
                throw new EntryRefusedException("the sparse map has overlapping or out-of-range segments");
            }

            end = offset + length;
            total += length;
        }

        if (total != storedBytes)
        {
            throw new EntryRefusedException($"the sparse map describes {total} data bytes but the entry stores {storedBytes}");
        }
    }

    private static long Number(IReadOnlyDictionary<string, string> attributes, string key) =>
        attributes.TryGetValue(key, out var text) ? Parse(text) : throw new EntryRefusedException($"sparse entry without {key}");

    private static long Parse(string text) =>
        long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value >= 0
            ? value
            : throw new EntryRefusedException($"malformed number '{text}' in a sparse map");
}
