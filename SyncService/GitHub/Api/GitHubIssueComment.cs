namespace CvmfsImages.Sync.GitHub.Api;

/// <summary>An issue (or pull-request conversation) comment.</summary>
internal sealed record GitHubIssueComment(long Id, string? Body, GitHubUser? User);
