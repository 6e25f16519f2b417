using System.Diagnostics;
using System.Globalization;
using CvmfsImages.Registry;
using CvmfsImages.Registry.Names;
using CvmfsImages.TestSupport.Images;

// Usage:
//   RegistryPullBench push REFERENCE MEGABYTES   two gzip tar layers of pseudo-random data, MEGABYTES in all
//   RegistryPullBench pull REFERENCE CACHE_DIR   resolve linux/amd64 and read every blob into the (empty) cache
//   RegistryPullBench heads REFERENCE N          N HEADs of REFERENCE's tag (16 at a time), through RegistryClient
//                                                and through a bare HttpClient: the client's own cost per request
// Exit codes: 0 done, 1 failure (message on stderr), 2 usage.
// The image is built and pushed by tests/TestSupport (TestImage, RegistryPusher); the pull is ImagePuller, the same
// code the cross-process cache test runs: what is timed is RegistryClient's resolve and blob reads.
if (args.Length != 3 || args[0] is not ("push" or "pull" or "heads"))
{
    await Console.Error.WriteLineAsync("usage: RegistryPullBench push REFERENCE MEGABYTES | pull REFERENCE CACHE_DIR");
    return 2;
}

try
{
    var reference = ImageReference.Parse(args[1]);
    if (args[0] == "push")
    {
        var half = int.Parse(args[2], CultureInfo.InvariantCulture) * 1024L * 1024 / 2;
        using var pusher = new RegistryClient(new RegistryClientOptions());
        var image = await TestImage.Create()
            .WithRandomLayer("data/layer0.bin", half, seed: 0, LayerCompression.Gzip)
            .WithRandomLayer("data/layer1.bin", half, seed: 1, LayerCompression.Gzip)
            .PushAsync(pusher, reference);
        var layers = image.Manifest.Layers;
        Console.WriteLine($"pushed {reference} {image.Digest}: {layers.Sum(l => l.Descriptor.Size) / 1e6:0.0} MB in {layers.Count} layers");
        return 0;
    }

    if (args[0] == "heads")
    {
        await HeadsAsync(reference, int.Parse(args[2], CultureInfo.InvariantCulture));
        return 0;
    }

    var options = new RegistryClientOptions { BlobCacheDirectory = Path.GetFullPath(args[2]), BlobCacheMaxBytes = 64L * 1024 * 1024 * 1024 };
    using var client = new RegistryClient(options);
    var watch = Stopwatch.StartNew();
    var pulled = await ImagePuller.PullEveryBlobAsync(client, reference, Platform.LinuxAmd64, CancellationToken.None);
    Console.WriteLine($"pulled {pulled.CompressedSize / 1e6:0.0} MB in {watch.Elapsed.TotalSeconds:0.000} s (in-process)");
    return 0;
}
catch (Exception ex) when (ex is RegistryException or FormatException or IOException)
{
    await Console.Error.WriteLineAsync($"RegistryPullBench: {ex.Message}");
    return 1;
}

// CPU and wall time of N HEADs, 16 in flight: RegistryClient.ResolveDigestAsync against a bare HttpClient HEAD (same
// Accept header, no handler chain), three rounds each after a warm-up round, alternating.
static async Task HeadsAsync(ImageReference reference, int n)
{
    using var client = new RegistryClient(new RegistryClientOptions { MaxConcurrentRequestsPerRegistry = 16 });
    using var bare = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false, UseCookies = false });
    var uri = new Uri($"http://{reference.Registry}/v2/{reference.Path}/manifests/{reference.Tag}");
    var accept = string.Join(", ", MediaTypes.ManifestAccept);
    async Task Ours() => await Parallel.ForEachAsync(Enumerable.Range(0, n), new ParallelOptions { MaxDegreeOfParallelism = 16 },
        async (_, ct) => await client.ResolveDigestAsync(reference, ct));
    async Task Bare() => await Parallel.ForEachAsync(Enumerable.Range(0, n), new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (_, ct) =>
    {
        using var request = new HttpRequestMessage(HttpMethod.Head, uri);
        request.Headers.TryAddWithoutValidation("Accept", accept);
        using var response = await bare.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
        response.EnsureSuccessStatusCode();
    });
    await Ours();
    await Bare();
    for (var round = 0; round < 3; round++)
    {
        foreach (var (name, body) in new[] { ("RegistryClient", (Func<Task>)Ours), ("bare HttpClient", Bare) })
        {
            var cpu0 = Process.GetCurrentProcess().TotalProcessorTime;
            var alloc0 = GC.GetTotalAllocatedBytes(precise: true);
            var watch = Stopwatch.StartNew();
            await body();
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{name,-16} {n} HEADs: {watch.Elapsed.TotalSeconds:0.000} s wall, {(Process.GetCurrentProcess().TotalProcessorTime - cpu0).TotalSeconds:0.000} s CPU, {(GC.GetTotalAllocatedBytes(precise: true) - alloc0) / n} bytes allocated per request"));
        }
    }
}
