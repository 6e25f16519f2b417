namespace CvmfsImages.Sync;

/// <summary>
/// An image that a sync published (new, or a tag moved to a new image): the list line it came from, the canonical
/// reference, the path where users find it (<c>/cvmfs/&lt;repository&gt;/library/python:3.12</c>; for the directory backend, under its root), the platform
/// manifest's digest and the image's compressed size in bytes.
/// </summary>
public sealed record PublishedImageNotice(int LineNumber, string ListLine, string Reference, string CvmfsPath, string ManifestDigest, long Size);
