namespace CvmfsImages.Sync.Web.Api;

/// <summary>One finished pass: list, scope, start, duration, result counts and bytes pulled.</summary>
internal sealed record ApiPassSummary(
    string List, string Scope, DateTimeOffset StartedAt, double DurationSeconds, bool Succeeded,
    int Current, int Published, int Updated, int Removed, int Failed, long BytesPulled);
