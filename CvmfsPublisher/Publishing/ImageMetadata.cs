namespace CvmfsImages.Publisher.Publishing;

/// <summary>
/// What was published for one image: the JSON file beside the image directory (<see cref="RepositoryLayout.MetadataFile"/>),
/// written in camelCase with <c>schemaVersion</c> 1.
/// </summary>
public sealed record ImageMetadata
{
    /// <summary>The version of this file's schema; readers refuse versions they do not know.</summary>
    public int SchemaVersion { get; init; } = 1;

    /// <summary>The image's config digest (<c>sha256:&lt;hex&gt;</c>): the image's name in <c>.images/</c>.</summary>
    public required string ConfigDigest { get; init; }

    /// <summary>The digest of the platform manifest the image was built from.</summary>
    public required string ManifestDigest { get; init; }

    /// <summary>Top-level digests (index or manifest) seen resolving to this image.</summary>
    public IReadOnlyList<string> SourceDigests { get; init; } = [];

    /// <summary>Canonical references this image was published for.</summary>
    public IReadOnlyList<string> Sources { get; init; } = [];

    /// <summary>The platform, <c>os/arch[/variant]</c>.</summary>
    public required string Platform { get; init; }

    /// <summary>Bytes of regular-file content in the flattened tree.</summary>
    public long Size { get; init; }

    /// <summary>Entries in the flattened tree.</summary>
    public long Files { get; init; }

    /// <summary>When the image was published; the publisher stamps it when left at its default.</summary>
    public DateTimeOffset PublishedAt { get; init; }

    /// <summary>
    /// Since when no tag refers to the image (recorded in the repository, so the grace period survives restarts);
    /// null while some tag refers to it.
    /// </summary>
    public DateTimeOffset? UnreferencedSince { get; init; }

    /// <summary>
    /// For an image adopted in place from a repository another tool built (OSG's <c>cvmfs-singularity-sync</c>): its
    /// directory, relative to the root (<c>.images/xx/yyyy</c>), which stays its path; null for images published here.
    /// </summary>
    public string? AdoptedFrom { get; init; }
}
