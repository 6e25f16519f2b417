using System.Reflection;

namespace CvmfsImages.Bench.Packages;

/// <summary>Decoding one zstd layer: CvmfsPublisher's libzstd stream, ZstdSharp.Port (managed), ZstdNet (bundled libzstd).</summary>
internal static class ZstdBench
{
    public static int Run(string path, int runs)
    {
        var compressed = File.ReadAllBytes(path);
        // CvmfsPublisher's stream is internal; the bench builds it by reflection rather than keeping a copy of it.
        var ours = typeof(CvmfsImages.Publisher.Flattening.LayerInput).Assembly.GetType("CvmfsImages.Publisher.Native.ZstdDecompressionStream", throwOnError: true)!;
        Stream Ours(Stream inner) => (Stream)Activator.CreateInstance(ours, BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance, null, [inner], null)!;
        long size;
        using (var probe = Ours(new MemoryStream(compressed)))
        {
            size = Drain(probe);
        }

        using (var sharp = new ZstdSharp.DecompressionStream(new MemoryStream(compressed)))
        using (var net = new ZstdNet.DecompressionStream(new MemoryStream(compressed)))
        {
            if (Drain(sharp) != size || Drain(net) != size)
            {
                throw new InvalidDataException("the decoders disagree on the size");
            }
        }

        Console.WriteLine($"zstd decode, {compressed.Length / 1e6:0.0} MB -> {size / 1e6:0.0} MB, from memory to nowhere:");
        Timing.Compare(runs, size,
            ("libzstd P/Invoke (CvmfsPublisher)", () => Decode(Ours(new MemoryStream(compressed)))),
            ("ZstdSharp.Port 0.8.8", () => Decode(new ZstdSharp.DecompressionStream(new MemoryStream(compressed)))),
            ("ZstdNet 1.5.7", () => Decode(new ZstdNet.DecompressionStream(new MemoryStream(compressed)))));
        return 0;
    }

    private static void Decode(Stream stream)
    {
        using (stream)
        {
            Drain(stream);
        }
    }

    private static long Drain(Stream stream)
    {
        var buffer = new byte[1024 * 1024];
        long total = 0;
        int read;
        while ((read = stream.Read(buffer)) > 0)
        {
            total += read;
        }

        return total;
    }
}
