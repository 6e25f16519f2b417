using CvmfsImages.Sync.CommandLine;

namespace CvmfsImages.Sync;

/// <summary>Entry point of <c>cvmfs-image-sync</c>; the commands are in <see cref="Cli"/>.</summary>
internal static class Program
{
    private static Task<int> Main(string[] args) => Cli.RunAsync(args);
}
