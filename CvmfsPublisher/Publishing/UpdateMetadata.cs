namespace CvmfsImages.Publisher.Publishing;

/// <summary>Rewrites the metadata of a published image (e.g. to record a new source digest).</summary>
public sealed record UpdateMetadata(ImageMetadata Metadata) : RepositoryChange;
