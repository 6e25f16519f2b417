using System.Formats.Tar;
using System.Text;

namespace CvmfsImages.TestSupport;

/// <summary>GNU sparse files in PAX form, as GNU tar <c>--sparse --format=posix</c> (1.0) and older tars (0.1) write them.</summary>
public sealed partial class TarBuilder
{
    /// <summary>
    /// A GNU sparse file, PAX format 1.0: the map (count, then offset/size pairs, one decimal per line) padded to 512
    /// bytes at the start of the data, then the segments' bytes. <paramref name="declaredRealSize"/> overrides the
    /// real size (to build hostile maps).
    /// </summary>
    public TarBuilder SparseFile10(string name, long realSize, (long Offset, byte[] Data)[] segments, long? declaredRealSize = null)
    {
        var map = new StringBuilder();
        map.Append(Decimal(segments.Length)).Append('\n');
        foreach (var (offset, data) in segments)
        {
            map.Append(Decimal(offset)).Append('\n').Append(Decimal(data.Length)).Append('\n');
        }

        var mapBytes = Encoding.ASCII.GetBytes(map.ToString());
        var padded = new byte[(mapBytes.Length + 511) / 512 * 512];
        mapBytes.CopyTo(padded, 0);
        var body = new MemoryStream();
        body.Write(padded);
        foreach (var (_, data) in segments)
        {
            body.Write(data);
        }

        var attributes = new Dictionary<string, string>
        {
            ["GNU.sparse.major"] = "1",
            ["GNU.sparse.minor"] = "0",
            ["GNU.sparse.name"] = name,
            ["GNU.sparse.realsize"] = Decimal(declaredRealSize ?? realSize),
        };
        return SparseEntry(name, attributes, body.ToArray());
    }

    /// <summary>A GNU sparse file, PAX format 0.1: the map in <c>GNU.sparse.map</c>, the data is the segments' bytes.</summary>
    public TarBuilder SparseFile01(string name, long realSize, (long Offset, byte[] Data)[] segments)
    {
        var body = new MemoryStream();
        foreach (var (_, data) in segments)
        {
            body.Write(data);
        }

        var attributes = new Dictionary<string, string>
        {
            ["GNU.sparse.numblocks"] = Decimal(segments.Length),
            ["GNU.sparse.size"] = Decimal(realSize),
            ["GNU.sparse.name"] = name,
            ["GNU.sparse.map"] = string.Join(',', segments.Select(s => Decimal(s.Offset) + "," + Decimal(s.Data.Length))),
        };
        return SparseEntry(name, attributes, body.ToArray());
    }

    private TarBuilder SparseEntry(string name, Dictionary<string, string> attributes, byte[] body) =>
        Step((_, w) =>
        {
            var slash = name.LastIndexOf('/');
            var placeholder = (slash < 0 ? "./GNUSparseFile.0/" : name[..(slash + 1)] + "GNUSparseFile.0/") + name[(slash + 1)..];
            var e = new PaxTarEntry(TarEntryType.RegularFile, placeholder, attributes)
            {
                Mode = (UnixFileMode)0x1A4,
                ModificationTime = DefaultTime,
                DataStream = new MemoryStream(body),
            };
            w.WriteEntry(e);
        });
}
