using CvmfsImages.Bench.Packages;

// bench/packages.sh drives this. Usage:
//   PackageBench tar LAYER.tar LAYER.tar.gz RUNS   System.Formats.Tar vs SharpCompress reading every entry to its end
//   PackageBench pax PAX.tar                       what each tar reader exposes of PAX records (sparse, xattrs, links)
//   PackageBench zstd LAYER.tar.zst RUNS           libzstd P/Invoke (ours) vs ZstdSharp.Port vs ZstdNet decoding
//   PackageBench octokit                           Octokit against the GitHub fake: conditional reads, bounds, waits
if (args.Length == 0)
{
    await Console.Error.WriteLineAsync("usage: PackageBench tar|pax|zstd|octokit ...");
    return 2;
}

return args[0] switch
{
    "tar" => TarBench.Run(args[1], args[2], int.Parse(args[3], System.Globalization.CultureInfo.InvariantCulture)),
    "pax" => TarBench.ShowPax(args[1]),
    "zstd" => ZstdBench.Run(args[1], int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture)),
    "octokit" => await OctokitBench.RunAsync(),
    _ => 2,
};
