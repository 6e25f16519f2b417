namespace CvmfsImages.Publisher.Publishing;

/// <summary>What the repository says is published, read from the repository itself.</summary>
/// <param name="Tags">Tag path (e.g. <c>library/python:3.12</c>) to the image key its symlink points at (the config digest of an image published here).</param>
/// <param name="Images">Image key to the metadata of every image in <c>.images/</c> that has metadata.</param>
public sealed record PublishedState(IReadOnlyDictionary<string, string> Tags, IReadOnlyDictionary<string, ImageMetadata> Images)
{
    /// <summary>Image directories with no metadata of ours (built by OSG's script, or never completed), by image key.</summary>
    public IReadOnlyDictionary<string, ForeignImage> Foreign { get; init; } = new Dictionary<string, ForeignImage>(StringComparer.Ordinal);

    /// <summary>
    /// Directories of the repository (relative paths) this service cannot read, e.g. one someone ingested with mode
    /// 0700: skipped, so tags below them are not known. Empty when everything could be read.
    /// </summary>
    public IReadOnlyList<string> UnreadableDirectories { get; init; } = [];
}

/// <summary>An image directory the publisher did not write metadata for (see <see cref="RepositoryLayout.IndexKeyPrefix"/>).</summary>
/// <param name="Key">Its image key.</param>
/// <param name="Directory">Relative to the root: <c>.images/xx/yyyy</c> or <c>.images/sha256:xx/yyyy</c>.</param>
/// <param name="Referenced">Whether a tag points at it.</param>
/// <param name="UnreferencedSince">When it was first seen unreferenced (OSG's <c>.missing_links.json</c> or this publisher's record); null when referenced or not yet seen.</param>
public sealed record ForeignImage(string Key, string Directory, bool Referenced, DateTimeOffset? UnreferencedSince);
