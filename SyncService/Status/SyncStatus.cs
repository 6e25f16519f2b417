using CvmfsImages.Sync.Execution;

namespace CvmfsImages.Sync.Status;

/// <summary>What <c>status</c> shows beside the repository: the last pass and the last result per path or line.</summary>
internal sealed record SyncStatus
{
    public int SchemaVersion { get; init; } = 1;

    public LastSync? LastSync { get; init; }

    /// <summary>Last result per key (the repository path, or the list line's text when it never got a path).</summary>
    public Dictionary<string, ImageResult> Images { get; init; } = new(StringComparer.Ordinal);

    /// <summary>When each schedule last ran (job name to time), so a missed run is made up once at start.</summary>
    public Dictionary<string, DateTimeOffset> JobRuns { get; init; } = new(StringComparer.Ordinal);
}

/// <summary>Summary of the last pass.</summary>
internal sealed record LastSync(string List, string Scope, DateTimeOffset StartedAt, double DurationSeconds, bool Succeeded,
    int Current, int Published, int Updated, int Removed, int Failed, long BytesPulled);
