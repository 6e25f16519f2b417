using System.Formats.Tar;
using System.IO.Compression;
using SharpCompress.Readers;

namespace CvmfsImages.Bench.Packages;

/// <summary>System.Formats.Tar (what CvmfsPublisher uses) against SharpCompress's tar reader.</summary>
internal static class TarBench
{
    public static int Run(string tarPath, string gzPath, int runs)
    {
        var tar = File.ReadAllBytes(tarPath);
        var gz = File.ReadAllBytes(gzPath);
        Console.WriteLine($"tar parsing, {tar.Length / 1e6:0.0} MB uncompressed in memory, {CountSystem(new MemoryStream(tar))} entries:");
        Timing.Compare(runs, tar.Length,
            ("System.Formats.Tar TarReader", () => CountSystem(new MemoryStream(tar))),
            ("SharpCompress TarReader", () => CountSharp(new MemoryStream(tar))));
        // A layer arrives as a stream that cannot seek (a verifying HTTP body through GZipStream).
        try
        {
            CountSharp(new GZipStream(new MemoryStream(gz), CompressionMode.Decompress));
            Console.WriteLine("SharpCompress TarReader over a GZipStream (not seekable): reads");
        }
        catch (Exception ex) when (ex is SharpCompress.Common.ArchiveException or SharpCompress.Common.ArchiveOperationException or NotSupportedException or InvalidOperationException)
        {
            Console.WriteLine($"SharpCompress TarReader over a GZipStream (not seekable): fails: {ex.GetType().Name}: {ex.Message}");
        }

        Console.WriteLine($"the same from the .tar.gz ({gz.Length / 1e6:0.0} MB): ours through GZipStream, SharpCompress with its own gzip (ReaderFactory, seekable input):");
        Timing.Compare(runs, tar.Length,
            ("System.Formats.Tar + GZipStream", () => CountSystem(new GZipStream(new MemoryStream(gz), CompressionMode.Decompress))),
            ("SharpCompress ReaderFactory", () => CountSharpAny(new MemoryStream(gz))));
        return 0;
    }

    /// <summary>Every entry of the PAX tar as each reader reports it.</summary>
    public static int ShowPax(string path)
    {
        Console.WriteLine("System.Formats.Tar:");
        using (var reader = new System.Formats.Tar.TarReader(File.OpenRead(path)))
        {
            while (reader.GetNextEntry() is { } entry)
            {
                var data = entry.DataStream is null ? 0 : Drain(entry.DataStream);
                var pax = entry is PaxTarEntry p
                    ? string.Join(", ", p.ExtendedAttributes.Where(kv => kv.Key is not ("mtime" or "atime" or "ctime" or "path")).Select(kv => $"{kv.Key}={Short(kv.Value)}"))
                    : string.Empty;
                Console.WriteLine($"  {entry.EntryType,-13} {entry.Name,-14} length {entry.Length,9} data {data,9} link '{entry.LinkName}' pax {{{pax}}}");
            }
        }

        Console.WriteLine("SharpCompress:");
        using (var stream = File.OpenRead(path))
        using (var reader = SharpCompress.Readers.Tar.TarReader.OpenReader(stream, new ReaderOptions()))
        {
            while (reader.MoveToNextEntry())
            {
                var entry = (SharpCompress.Common.Tar.TarEntry)reader.Entry;
                long data = 0;
                if (!entry.IsDirectory)
                {
                    using var body = reader.OpenEntryStream();
                    data = Drain(body);
                }

                Console.WriteLine($"  dir={entry.IsDirectory,-5} {entry.Key,-14} size {entry.Size,9} data {data,9} link '{entry.LinkTarget}' mode {Convert.ToString(entry.Mode, 8)} (no entry type, no PAX records)");
            }
        }

        return 0;
    }

    private static int CountSystem(Stream input)
    {
        using var reader = new System.Formats.Tar.TarReader(input);
        var entries = 0;
        while (reader.GetNextEntry() is { } entry)
        {
            entries++;
            if (entry.DataStream is { } data)
            {
                Drain(data);
            }
        }

        return entries;
    }

    private static int CountSharp(Stream input) => CountEntries(SharpCompress.Readers.Tar.TarReader.OpenReader(input, new ReaderOptions()));

    /// <summary>SharpCompress detecting the compression itself (its own gzip).</summary>
    private static int CountSharpAny(Stream input) => CountEntries(ReaderFactory.OpenReader(input, new ReaderOptions()));

    private static int CountEntries(IReader opened)
    {
        using var reader = opened;
        var entries = 0;
        while (reader.MoveToNextEntry())
        {
            entries++;
            if (!reader.Entry.IsDirectory)
            {
                using var data = reader.OpenEntryStream();
                Drain(data);
            }
        }

        return entries;
    }

    private static long Drain(Stream stream)
    {
        var buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(128 * 1024);
        long total = 0;
        int read;
        while ((read = stream.Read(buffer)) > 0)
        {
            total += read;
        }

        System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
        return total;
    }

    private static string Short(string value) => value.Length > 40 ? value[..40] + "..." : value;
}
