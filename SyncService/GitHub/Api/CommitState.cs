namespace CvmfsImages.Sync.GitHub.Api;

/// <summary>The commit-status states GitHub accepts.</summary>
internal static class CommitState
{
    public const string Pending = "pending";
    public const string Success = "success";
    public const string Failure = "failure";
    public const string Error = "error";
}
