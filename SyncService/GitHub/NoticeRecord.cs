namespace CvmfsImages.Sync.GitHub;

/// <summary>
/// One line's answer remembered for a PR: published (path, digest, size) or failed (reason). <see cref="Item"/>
/// tells apart the several images one line can give (platforms, glob tags).
/// </summary>
internal sealed record NoticeRecord(int PullRequest, string Line, string Item, bool Published, string? CvmfsPath, string? Digest, long Size, string? Reason);
