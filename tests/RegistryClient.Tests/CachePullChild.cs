using CvmfsImages.Registry;
using CvmfsImages.Registry.Names;
using CvmfsImages.TestSupport.Images;

namespace CvmfsImages.Tests.RegistryClient;

/// <summary>A child process that pulls every blob of an image (linux/amd64) into a blob cache directory, then exits 0.</summary>
internal static class CachePullChild
{
    public const string Verb = "pull-into-cache-child";

    /// <summary>The arguments after <see cref="Verb"/>: REFERENCE CACHE_DIR.</summary>
    public static async Task<int> RunAsync(string[] args)
    {
        if (args.Length != 2)
        {
            await Console.Error.WriteLineAsync($"usage: {Verb} REFERENCE CACHE_DIR");
            return 2;
        }

        try
        {
            using var client = new Registry.RegistryClient(new RegistryClientOptions { BlobCacheDirectory = Path.GetFullPath(args[1]) });
            await ImagePuller.PullEveryBlobAsync(client, ImageReference.Parse(args[0]), Platform.LinuxAmd64, CancellationToken.None);
            return 0;
        }
        catch (Exception ex) when (ex is RegistryException or ReferenceFormatException or IOException)
        {
            await Console.Error.WriteLineAsync($"{Verb}: {ex.Message}");
            return 1;
        }
    }
}
