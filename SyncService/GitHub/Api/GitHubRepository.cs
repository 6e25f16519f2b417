namespace CvmfsImages.Sync.GitHub.Api;

/// <summary>The part of <c>GET /repos/{owner}/{repo}</c> the service reads.</summary>
internal sealed record GitHubRepository(string DefaultBranch);
