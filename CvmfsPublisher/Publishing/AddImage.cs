namespace CvmfsImages.Publisher.Publishing;

/// <summary>
/// Publishes a flattened image under <c>.images/</c> with its metadata. <paramref name="StagedTree"/> comes from
/// <see cref="CvmfsRepository.CreateStagingPath"/>; the publisher consumes it (moves or deletes it) whatever the outcome.
/// An image already published is not written again (its metadata is updated).
/// </summary>
public sealed record AddImage(ImageMetadata Metadata, string StagedTree) : RepositoryChange;
