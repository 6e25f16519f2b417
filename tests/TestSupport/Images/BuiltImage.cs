using CvmfsImages.Registry.Names;

namespace CvmfsImages.TestSupport.Images;

/// <summary>
/// What <see cref="TestImage.Build"/> made (and <see cref="TestImage.PushAsync"/> pushed): the top-level document (an
/// index for a multi-platform image, else the one manifest) and every platform's manifest, config and layers.
/// </summary>
public sealed record BuiltImage(Digest Digest, string MediaType, ReadOnlyMemory<byte> Content, IReadOnlyList<BuiltManifest> Manifests)
{
    /// <summary>True when the top-level document is an index (several platforms or <see cref="TestImage.AsIndex"/>).</summary>
    public bool IsIndex => Manifests.Count > 1 || MediaType.Contains("index", StringComparison.Ordinal) || MediaType.Contains("list", StringComparison.Ordinal);

    /// <summary>The first (for a single-platform image: the only) platform manifest.</summary>
    public BuiltManifest Manifest => Manifests[0];

    /// <summary>Shorthand for the first manifest's config digest.</summary>
    public Digest ConfigDigest => Manifest.Config.Digest;
}
