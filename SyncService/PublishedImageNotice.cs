namespace CvmfsImages.Sync;

/// <summary>
/// An image that a sync published (new, or a tag moved to a new image): the list line it came from, the canonical
/// reference, the path inside the repository (relative to its root, e.g. <c>library/python:3.12</c>), the platform
/// manifest's digest and the image's compressed size in bytes.
/// </summary>
public sealed record PublishedImageNotice(int LineNumber, string ListLine, string Reference, string CvmfsPath, string ManifestDigest, long Size);
