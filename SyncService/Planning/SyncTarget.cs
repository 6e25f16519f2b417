using CvmfsImages.Registry;
using CvmfsImages.Registry.Names;
using CvmfsImages.Sync.Lists;

namespace CvmfsImages.Sync.Planning;

/// <summary>
/// One path the repository should hold: a concrete reference (tag or digest, never a glob) for one platform, the path
/// it is published at, and the list line it came from.
/// </summary>
internal sealed record SyncTarget(string TagPath, ImageReference Reference, Platform Platform, ListEntry Entry)
{
    /// <summary>The canonical reference text.</summary>
    public string ReferenceText => Reference.ToString();

    /// <summary>The platform as metadata spells it (<c>linux/amd64</c>).</summary>
    public string PlatformText => Platform.ToString();
}
