namespace CvmfsImages.Sync.Lists;

/// <summary>
/// The text of a list as read once: where it came from (a path, a GitHub location) and a version that changes when
/// the text does (an ETag, a commit or a content hash).
/// </summary>
public sealed record ListSnapshot(string Text, string Source, string Version);
