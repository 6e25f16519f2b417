using CvmfsImages.Sync.Lists;

namespace CvmfsImages.Sync.Execution;

/// <summary>What one sync pass did: a result per target, the list's problems and warnings, timing and bytes.</summary>
public sealed record SyncReport(
    string ListSource,
    IReadOnlyList<ImageResult> Results,
    IReadOnlyList<ListProblem> Problems,
    IReadOnlyList<string> Warnings,
    DateTimeOffset StartedAt,
    TimeSpan Duration)
{
    public long BytesPulled => Results.Sum(r => r.BytesPulled);

    public int Count(ImageOutcome outcome) => Results.Count(r => r.Outcome == outcome);

    /// <summary>True when every target is current (published, updated, removed or already current) and the list had no problems.</summary>
    public bool Succeeded => Problems.Count == 0 && Results.All(r => r.Outcome != ImageOutcome.Failed);
}
