namespace CvmfsImages.Sync.GitHub.Api;

/// <summary>A pull request's <c>head</c> or <c>base</c>: branch name and commit.</summary>
internal sealed record GitHubCommitRef(string Ref, string Sha);
