namespace CvmfsImages.Publisher.Publishing;

/// <summary>What <see cref="CvmfsRepository.CollectGarbageAsync"/> did (or, in a dry run, would do).</summary>
/// <param name="DryRun">True when nothing was changed.</param>
/// <param name="Removed">Config digests removed (in a dry run: that would be removed).</param>
/// <param name="MarkedUnreferenced">Images found unreferenced and not yet marked: their grace period starts now.</param>
/// <param name="Waiting">Unreferenced images still inside their grace period.</param>
/// <param name="Failed">Removals that failed; the others still went.</param>
public sealed record GcResult(
    bool DryRun,
    IReadOnlyList<string> Removed,
    IReadOnlyList<string> MarkedUnreferenced,
    IReadOnlyList<string> Waiting,
    IReadOnlyList<(string ConfigDigest, Exception Error)> Failed);
