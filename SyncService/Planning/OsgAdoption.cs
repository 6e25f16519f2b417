using System.Security.Cryptography;
using System.Text;
using CvmfsImages.Publisher.Publishing;
using CvmfsImages.Registry;

namespace CvmfsImages.Sync.Planning;

/// <summary>
/// Which image directory OSG's <c>cvmfs-singularity-sync</c> (07b0da3, lines 389-413) would have built for an image,
/// so that a repository it built is taken over in place: the directory is named by sha256 over the hex parts of the
/// top manifest's layer digests, concatenated in order; when the reference names a manifest list (OSG asks with an
/// Accept header that includes lists), by the list's own digest (<c>.images/sha256:xx/...</c>), and then it holds
/// the linux/amd64 image (what <c>singularity build</c> picks on OSG's amd64 hosts).
/// </summary>
internal static class OsgAdoption
{
    private static readonly Platform Amd64 = Platform.LinuxAmd64;

    /// <summary>The image key of OSG's directory for <paramref name="image"/> resolved for <paramref name="platform"/>; null when OSG's tree would not be that platform's.</summary>
    public static string? KeyOf(ResolvedImage image, Platform platform)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(platform);
        if (image.TopDigest != image.ManifestDigest)
        {
            return platform.Equals(Amd64) ? RepositoryLayout.IndexKeyPrefix + image.TopDigest : null;
        }

        using var hasher = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var layer in image.Layers)
        {
            var digest = layer.Digest.ToString();
            hasher.AppendData(Encoding.UTF8.GetBytes(digest[(digest.LastIndexOf(':') + 1)..]));
        }

        return "sha256:" + Convert.ToHexStringLower(hasher.GetHashAndReset());
    }

    /// <summary>
    /// An adoption when OSG's directory for the image is there with no metadata of ours (<see cref="PublishedState.Foreign"/>);
    /// null otherwise (then the image is decided the normal way).
    /// </summary>
    public static AdoptDecision? Decide(FetchManifestDecision fetch, ResolvedImage manifests, PublishedState published)
    {
        ArgumentNullException.ThrowIfNull(fetch);
        ArgumentNullException.ThrowIfNull(manifests);
        ArgumentNullException.ThrowIfNull(published);
        return KeyOf(manifests, fetch.Target.Platform) is { } key && published.Foreign.ContainsKey(key)
            ? new AdoptDecision(fetch.Target, fetch.TopDigest, manifests, key)
            : null;
    }
}
