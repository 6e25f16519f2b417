namespace CvmfsImages.Publisher.Publishing;

/// <summary>What <see cref="CvmfsRepository.ApplyAsync"/> did: each change is either applied (published) or failed.</summary>
public sealed record PublishResult(IReadOnlyList<RepositoryChange> Applied, IReadOnlyList<(RepositoryChange Change, Exception Error)> Failed)
{
    /// <summary>True when every change was applied.</summary>
    public bool Succeeded => Failed.Count == 0;
}
