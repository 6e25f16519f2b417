namespace CvmfsImages.Publisher.Publishing;

/// <summary>
/// What <see cref="CvmfsRepository.ApplyAsync"/> did: one outcome per change given, in the order given, so a caller
/// finds the outcome of its change by position.
/// </summary>
public sealed record PublishResult(IReadOnlyList<ChangeOutcome> Outcomes)
{
    /// <summary>The changes published, in input order.</summary>
    public IReadOnlyList<RepositoryChange> Applied => [.. Outcomes.Where(o => o.Applied).Select(o => o.Change)];

    /// <summary>The changes that failed and why, in input order.</summary>
    public IReadOnlyList<(RepositoryChange Change, Exception Error)> Failed => [.. Outcomes.Where(o => !o.Applied).Select(o => (o.Change, o.Error!))];

    /// <summary>True when every change was applied.</summary>
    public bool Succeeded => Outcomes.All(o => o.Applied);
}
