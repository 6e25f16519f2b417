using CvmfsImages.Sync.GitHub.Api;

namespace CvmfsImages.Sync.GitHub;

/// <summary>The outcome of checking one pull request at one head commit: the commit status posted and each line's verdict.</summary>
internal sealed record PullRequestCheck(int Number, string HeadSha, string State, string Description, IReadOnlyList<LineVerdict> Lines)
{
    /// <summary>True when the result is final for this head (success or failure); pending ones are checked again.</summary>
    public bool IsFinal => State is CommitState.Success or CommitState.Failure;
}
