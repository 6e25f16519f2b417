namespace CvmfsImages.Sync.Web.Api;

/// <summary>The list source: where, when it was last read (tried and worked), why the last read failed, the version seen.</summary>
internal sealed record ApiList(string Source, DateTimeOffset? LastReadAt, DateTimeOffset? LastSuccessAt, string? LastError, string? Version);
