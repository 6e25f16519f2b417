namespace CvmfsImages.Sync.Web.Api;

/// <summary>
/// <c>GET /api/status</c>: everything the status page shows. Field names are stable; a change that removes or
/// renames one raises <see cref="SchemaVersion"/> (the schema is in SyncService/Web/README.md).
/// </summary>
internal sealed record ApiStatus(
    int SchemaVersion,
    DateTimeOffset GeneratedAt,
    string Repository,
    ApiList List,
    ApiPass? Pass,
    long PassesEnded,
    IReadOnlyList<ApiSchedule> Schedules,
    ApiCounts Counts,
    IReadOnlyList<ApiPassSummary> LastPasses,
    IReadOnlyList<string> Problems,
    IReadOnlyList<string> Warnings,
    IReadOnlyList<ApiImage> Failing,
    IReadOnlyList<ApiImage> Waiting,
    IReadOnlyList<ApiUnreferenced> Unreferenced);
