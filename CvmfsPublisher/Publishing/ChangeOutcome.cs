namespace CvmfsImages.Publisher.Publishing;

/// <summary>What became of one change given to <see cref="CvmfsRepository.ApplyAsync"/>: published, or failed with <see cref="Error"/>.</summary>
public sealed record ChangeOutcome(RepositoryChange Change, Exception? Error)
{
    /// <summary>True when the change is published.</summary>
    public bool Applied => Error is null;
}
