using CvmfsImages.Registry;
using CvmfsImages.Registry.Names;

namespace CvmfsImages.TestSupport.Images;

/// <summary>
/// Pulls every blob of an image as the sync service's pull step does: resolve the platform (manifest and config), then
/// read all layers at once, each to its end (verified, and entered into the client's blob cache when it has one).
/// Shared by the cross-process cache test's child process and bench/RegistryPullBench.
/// </summary>
public static class ImagePuller
{
    public static async Task<ResolvedImage> PullEveryBlobAsync(RegistryClient client, ImageReference reference, Platform platform, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(reference);
        var image = await client.ResolveImageAsync(reference, platform, cancellationToken);
        await Task.WhenAll(image.Layers.Select(async layer =>
        {
            await using var stream = await client.OpenBlobAsync(reference.Repository, layer, cancellationToken);
            await stream.CopyToAsync(Stream.Null, 1024 * 1024, cancellationToken);
        }));
        return image;
    }
}
