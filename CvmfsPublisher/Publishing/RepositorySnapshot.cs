namespace CvmfsImages.Publisher.Publishing;

/// <summary>
/// What the tree holds, read under the lock and kept current by the transaction that changes it: tags, image
/// directories (by image key), readable metadata, metadata files this publisher cannot read (left alone), and the
/// clocks of foreign images (directories with no metadata of ours): OSG's <c>.missing_links.json</c> and ours.
/// </summary>
internal sealed class RepositorySnapshot
{
    public Dictionary<string, string> Tags { get; } = new(StringComparer.Ordinal);

    public HashSet<string> ImageDirectories { get; } = new(StringComparer.Ordinal);

    public Dictionary<string, ImageMetadata> Metadata { get; } = new(StringComparer.Ordinal);

    public HashSet<string> UnreadableMetadata { get; } = new(StringComparer.Ordinal);

    /// <summary>OSG's clock; null when the file is absent or unreadable (<see cref="MissingLinksUnreadable"/>).</summary>
    public OsgMissingLinks? MissingLinks { get; set; }

    /// <summary>The file is there but is not OSG's format: it is neither trusted nor rewritten.</summary>
    public bool MissingLinksUnreadable { get; set; }

    /// <summary>This publisher's record of when it first saw each foreign image unreferenced.</summary>
    public ForeignClock ForeignClock { get; set; } = new();

    /// <summary>The record is there but unreadable: no foreign image is due, and it is not rewritten, until it is fixed.</summary>
    public bool ForeignClockUnreadable { get; set; }

    /// <summary>
    /// Image keys that absolute links name through another mount path than <c>Publisher:MountPath</c> (a copy of
    /// OSG's repository with the setting left out): not tags, but GC keeps what they name, and says why.
    /// </summary>
    public Dictionary<string, string> LinkedElsewhere { get; } = new(StringComparer.Ordinal);

    /// <summary>Directories (relative to the root) that could not be read and were skipped.</summary>
    public SortedSet<string> UnreadableDirectories { get; } = new(StringComparer.Ordinal);

    public bool IsReferenced(string configDigest) => Tags.ContainsValue(configDigest);

    /// <summary>An image directory with no metadata of ours (OSG's, or one of ours never completed).</summary>
    public bool IsForeign(string key) => ImageDirectories.Contains(key) && !Metadata.ContainsKey(key) && !UnreadableMetadata.Contains(key);

    /// <summary>Since when a foreign image is unreferenced: the earlier of OSG's clock and ours; null when neither says.</summary>
    public DateTimeOffset? ForeignSince(string key)
    {
        var osg = MissingLinks?.SinceOf(key);
        DateTimeOffset? ours = ForeignClock.Since.TryGetValue(key, out var since) ? since : null;
        return osg is null ? ours : ours is null ? osg : (osg < ours ? osg : ours);
    }

    /// <summary>The public view: every tag, the metadata of images whose directory is there, and the foreign images.</summary>
    public PublishedState ToPublishedState() => new(
        new Dictionary<string, string>(Tags, StringComparer.Ordinal),
        Metadata.Where(m => ImageDirectories.Contains(m.Key)).ToDictionary(m => m.Key, m => m.Value, StringComparer.Ordinal))
    {
        Foreign = ImageDirectories.Where(IsForeign).Order(StringComparer.Ordinal).ToDictionary(
            k => k,
            k => new ForeignImage(k, RepositoryLayout.ImageDirectory(k), IsReferenced(k), IsReferenced(k) ? null : ForeignSince(k)),
            StringComparer.Ordinal),
        UnreadableDirectories = [.. UnreadableDirectories],
    };
}
