namespace CvmfsImages.Publisher.Publishing;

/// <summary>
/// Adopts an image directory another tool built (OSG's <c>cvmfs-singularity-sync</c>) in place:
/// <see cref="ImageMetadata.AdoptedFrom"/> names it (<c>.images/xx/yyyy</c> or <c>.images/sha256:xx/yyyy</c>), and it
/// keeps that path; its metadata is written beside it (the publisher measures its size and entries), nothing is
/// copied. Its image key (<see cref="RepositoryLayout.KeyOf"/>) is what a <see cref="SetTag"/> then names.
/// </summary>
public sealed record AdoptImage(ImageMetadata Metadata) : RepositoryChange;
