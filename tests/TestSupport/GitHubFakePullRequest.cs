namespace CvmfsImages.TestSupport;

/// <summary>A pull request held by the <see cref="GitHubFake"/>: it changes the list file from the base text to the head text.</summary>
public sealed class GitHubFakePullRequest(int number, string title, string author, string baseBranch)
{
    public int Number { get; } = number;

    public string Title { get; } = title;

    public string Author { get; } = author;

    public string BaseBranch { get; } = baseBranch;

    public string BaseSha { get; internal set; } = string.Empty;

    public string HeadSha { get; internal set; } = string.Empty;

    /// <summary>The file the PR changes and its text at the head.</summary>
    public string Path { get; internal set; } = string.Empty;

    public string HeadText { get; internal set; } = string.Empty;

    public string BaseText { get; internal set; } = string.Empty;

    /// <summary>When false the files listing omits <c>patch</c>, as GitHub does for large diffs.</summary>
    public bool IncludePatch { get; set; } = true;

    public string State { get; internal set; } = "open";

    public DateTimeOffset? MergedAt { get; internal set; }

    public string? MergeCommitSha { get; internal set; }

    public DateTimeOffset UpdatedAt { get; internal set; }
}
