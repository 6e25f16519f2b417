namespace CvmfsImages.Sync.GitHub;

/// <summary>How one changed line fared.</summary>
internal enum LineVerdictKind
{
    /// <summary>Well formed, no conflict, resolves for every platform.</summary>
    Ok,

    /// <summary>Something the PR must fix: syntax, duplicate, path collision, not found in its registry.</summary>
    Problem,

    /// <summary>Could not be checked now (registry unreachable or rate-limited): tried again later, never blamed on the PR.</summary>
    Retry,
}
