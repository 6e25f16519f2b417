namespace CvmfsImages.Sync.GitHub;

/// <summary>A <c>pull_request</c> webhook event: which PR and what happened (opened, synchronize, closed, ...).</summary>
internal sealed class PullRequestEventArgs(int number, string action, bool merged) : EventArgs
{
    public int Number { get; } = number;

    public string Action { get; } = action;

    /// <summary>True for a <c>closed</c> event of a merged PR.</summary>
    public bool Merged { get; } = merged;
}
