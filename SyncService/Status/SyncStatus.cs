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

    /// <summary>Since when each failing key (as in <see cref="Images"/>) has failed without a success in between.</summary>
    public Dictionary<string, DateTimeOffset> FailingSince { get; init; } = new(StringComparer.Ordinal);

    /// <summary>The most recent passes, newest first (at most <see cref="StatusStore.PassesKept"/>).</summary>
    public List<LastSync> Passes { get; init; } = [];

    /// <summary>The last pass's list problems and warnings, each bounded in count and length (they quote list and registry text).</summary>
    public List<string> Problems { get; init; } = [];

    public List<string> Warnings { get; init; } = [];
}

/// <summary>Summary of the last pass.</summary>
internal sealed record LastSync(string List, string Scope, DateTimeOffset StartedAt, double DurationSeconds, bool Succeeded,
    int Current, int Published, int Updated, int Removed, int Failed, long BytesPulled);
