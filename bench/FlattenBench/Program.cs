using System.Diagnostics;
using System.Globalization;
using CvmfsImages.Publisher.Flattening;

// Usage: FlattenBench TARGET LAYER.tar.gz [LAYER...] [--config CONFIG.json]
// Layers are read from files (media type from the extension: .tar.gz/.tgz gzip, .tar.zst zstd, else plain tar).
// Prints one line: "flattened N entries, B bytes in S s".
if (args.Length < 2)
{
    Console.Error.WriteLine("usage: FlattenBench TARGET LAYER [LAYER...] [--config CONFIG.json]");
    return 2;
}

var target = args[0];
var layers = new List<LayerInput>();
var config = ImageConfig.Empty;
for (var i = 1; i < args.Length; i++)
{
    if (args[i] == "--config")
    {
        config = ImageConfig.Parse(File.ReadAllBytes(args[++i]));
        continue;
    }

    var path = args[i];
    var mediaType = path.EndsWith(".gz", StringComparison.Ordinal) || path.EndsWith(".tgz", StringComparison.Ordinal)
        ? "application/vnd.oci.image.layer.v1.tar+gzip"
        : path.EndsWith(".zst", StringComparison.Ordinal) ? "application/vnd.oci.image.layer.v1.tar+zstd" : "application/vnd.oci.image.layer.v1.tar";
    layers.Add(new LayerInput(mediaType, "file:" + path, _ => Task.FromResult<Stream>(
        new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan))));
}

var stopwatch = Stopwatch.StartNew();
try
{
    var result = await new ImageFlattener().FlattenAsync(layers, config, target, new FlattenOptions { VerifyDiffIds = config.DiffIds.Count > 0 }, CancellationToken.None);
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"flattened {result.Entries} entries, {result.Bytes} bytes in {stopwatch.Elapsed.TotalSeconds:F3} s (in-process)"));
    return 0;
}
catch (Exception ex) when (ex is LayerException or IOException)
{
    Console.Error.WriteLine($"FlattenBench: {ex.Message}");
    return 1;
}
