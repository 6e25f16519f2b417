namespace CvmfsImages.Sync.Web.Api;

/// <summary>
/// One tag (or one list line that has no published path yet). <see cref="State"/> is <c>published</c>, <c>updating</c>
/// (the running pass works on it), <c>waiting</c> (listed, not published yet) or <c>failing</c> (the last attempt
/// failed; a published version, if any, stays). Digests, sizes and times are null when unknown.
/// </summary>
internal sealed record ApiImage(
    string Path,
    string? CvmfsPath,
    string State,
    string? Stage,
    string? ManifestDigest,
    string? ConfigDigest,
    string? Platform,
    long? Size,
    long? Files,
    DateTimeOffset? PublishedAt,
    IReadOnlyList<string> Sources,
    ApiLine? Line,
    string? LastResult,
    string? Detail,
    DateTimeOffset? FailingSince,
    DateTimeOffset? NextRetry,
    ApiPullRequest? PullRequest);
