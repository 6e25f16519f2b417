namespace CvmfsImages.Publisher.Publishing;

/// <summary>What the repository says is published, read from the repository itself.</summary>
/// <param name="Tags">Tag path (e.g. <c>library/python:3.12</c>) to the config digest its symlink points at.</param>
/// <param name="Images">Config digest to the metadata of every image in <c>.images/</c> that has metadata.</param>
public sealed record PublishedState(IReadOnlyDictionary<string, string> Tags, IReadOnlyDictionary<string, ImageMetadata> Images)
{
    /// <summary>
    /// Directories of the repository (relative paths) this service cannot read, e.g. one someone ingested with mode
    /// 0700: skipped, so tags below them are not known. Empty when everything could be read.
    /// </summary>
    public IReadOnlyList<string> UnreadableDirectories { get; init; } = [];
}
