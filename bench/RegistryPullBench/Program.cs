using System.Diagnostics;
using System.Formats.Tar;
using System.Globalization;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using CvmfsImages.Registry;
using CvmfsImages.Registry.Names;

// Usage:
//   RegistryPullBench push REFERENCE MEGABYTES   two gzip tar layers of pseudo-random data, MEGABYTES in all
//   RegistryPullBench pull REFERENCE CACHE_DIR   resolve linux/amd64 and read every blob into the (empty) cache
// Exit codes: 0 done, 1 failure (message on stderr), 2 usage.
if (args.Length != 3 || args[0] is not ("push" or "pull"))
{
    await Console.Error.WriteLineAsync("usage: RegistryPullBench push REFERENCE MEGABYTES | pull REFERENCE CACHE_DIR");
    return 2;
}

try
{
    var reference = ImageReference.Parse(args[1]);
    return args[0] == "push"
        ? await Bench.PushAsync(reference, int.Parse(args[2], CultureInfo.InvariantCulture))
        : await Bench.PullAsync(reference, Path.GetFullPath(args[2]));
}
catch (Exception ex) when (ex is RegistryException or FormatException or IOException)
{
    await Console.Error.WriteLineAsync($"RegistryPullBench: {ex.Message}");
    return 1;
}

internal static class Bench
{
    public static async Task<int> PushAsync(ImageReference reference, int megabytes)
    {
        using var client = new RegistryClient(new RegistryClientOptions());
        var layers = new List<(Descriptor Descriptor, string DiffId)>();
        for (var i = 0; i < 2; i++)
        {
            var (blob, diffId) = Layer(megabytes * 1024L * 1024 / 2, seed: i);
            var descriptor = new Descriptor(MediaTypes.OciLayerGzip, Digest.Sha256(blob), blob.Length);
            await client.PushBlobAsync(reference.Repository, new MemoryStream(blob), descriptor.Digest, blob.Length, CancellationToken.None);
            layers.Add((descriptor, diffId));
        }

        var diffIds = string.Join(',', layers.Select(l => $"\"{l.DiffId}\""));
        var config = Encoding.UTF8.GetBytes(
            "{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{},\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[" + diffIds + "]}}");
        var configDigest = Digest.Sha256(config);
        await client.PushBlobAsync(reference.Repository, new MemoryStream(config), configDigest, config.Length, CancellationToken.None);
        var layerJson = string.Join(',', layers.Select(l =>
            $"{{\"mediaType\":\"{l.Descriptor.MediaType}\",\"digest\":\"{l.Descriptor.Digest}\",\"size\":{l.Descriptor.Size}}}"));
        var manifest = Encoding.UTF8.GetBytes(
            $"{{\"schemaVersion\":2,\"mediaType\":\"{MediaTypes.OciManifest}\",\"config\":{{\"mediaType\":\"{MediaTypes.OciConfig}\",\"digest\":\"{configDigest}\",\"size\":{config.Length}}},\"layers\":[{layerJson}]}}");
        var digest = await client.PushManifestAsync(reference, manifest, MediaTypes.OciManifest, CancellationToken.None);
        Console.WriteLine($"pushed {reference} {digest}: {layers.Sum(l => l.Descriptor.Size) / 1e6:0.0} MB in {layers.Count} layers");
        return 0;
    }

    public static async Task<int> PullAsync(ImageReference reference, string cacheDirectory)
    {
        var options = new RegistryClientOptions { BlobCacheDirectory = cacheDirectory, BlobCacheMaxBytes = 64L * 1024 * 1024 * 1024 };
        using var client = new RegistryClient(options);
        var watch = Stopwatch.StartNew();
        var image = await client.ResolveImageAsync(reference, Platform.LinuxAmd64, CancellationToken.None);
        await Task.WhenAll(image.Layers.Select(async layer =>
        {
            await using var stream = await client.OpenBlobAsync(reference.Repository, layer, CancellationToken.None);
            await stream.CopyToAsync(Stream.Null, 1024 * 1024);
        }));
        Console.WriteLine($"pulled {image.CompressedSize / 1e6:0.0} MB in {watch.Elapsed.TotalSeconds:0.000} s (in-process)");
        return 0;
    }

    // A gzip tar holding one file of pseudo-random bytes (incompressible, like most real layer content after gzip).
    private static (byte[] Blob, string DiffId) Layer(long size, int seed)
    {
        var content = new byte[size];
        new Random(seed).NextBytes(content);
        using var tar = new MemoryStream();
        using (var writer = new TarWriter(tar, TarEntryFormat.Pax, leaveOpen: true))
        {
            writer.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, $"data/layer{seed}.bin") { DataStream = new MemoryStream(content) });
        }

        var tarBytes = tar.ToArray();
        using var gz = new MemoryStream();
        using (var gzip = new GZipStream(gz, CompressionLevel.Fastest, leaveOpen: true))
        {
            gzip.Write(tarBytes);
        }

        return (gz.ToArray(), "sha256:" + Convert.ToHexStringLower(SHA256.HashData(tarBytes)));
    }
}
