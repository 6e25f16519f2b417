namespace CvmfsImages.Sync.GitHub.Api;

/// <summary>Body of <c>POST /repos/{owner}/{repo}/statuses/{sha}</c>.</summary>
internal sealed record CommitStatusRequest(string State, string Description, string Context);
