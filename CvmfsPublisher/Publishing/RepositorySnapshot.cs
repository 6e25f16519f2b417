namespace CvmfsImages.Publisher.Publishing;

/// <summary>
/// What the tree holds, read under the lock and kept current by the transaction that changes it: tags, image
/// directories, readable metadata, and metadata files this publisher cannot read (left alone).
/// </summary>
internal sealed class RepositorySnapshot
{
    public Dictionary<string, string> Tags { get; } = new(StringComparer.Ordinal);

    public HashSet<string> ImageDirectories { get; } = new(StringComparer.Ordinal);

    public Dictionary<string, ImageMetadata> Metadata { get; } = new(StringComparer.Ordinal);

    public HashSet<string> UnreadableMetadata { get; } = new(StringComparer.Ordinal);

    /// <summary>Directories (relative to the root) that could not be read and were skipped.</summary>
    public SortedSet<string> UnreadableDirectories { get; } = new(StringComparer.Ordinal);

    public bool IsReferenced(string configDigest) => Tags.ContainsValue(configDigest);

    /// <summary>The public view: every tag, and the metadata of images whose directory is there.</summary>
    public PublishedState ToPublishedState() => new(
        new Dictionary<string, string>(Tags, StringComparer.Ordinal),
        Metadata.Where(m => ImageDirectories.Contains(m.Key)).ToDictionary(m => m.Key, m => m.Value, StringComparer.Ordinal))
    {
        UnreadableDirectories = [.. UnreadableDirectories],
    };
}
