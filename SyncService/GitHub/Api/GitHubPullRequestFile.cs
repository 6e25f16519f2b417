namespace CvmfsImages.Sync.GitHub.Api;

/// <summary>One entry of <c>GET /repos/{owner}/{repo}/pulls/{n}/files</c>; <c>patch</c> is absent for large diffs.</summary>
internal sealed record GitHubPullRequestFile(string Filename, string Status, string? Patch, string? PreviousFilename);
