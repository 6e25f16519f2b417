namespace CvmfsImages.Sync.GitHub.Api;

/// <summary>GitHub's error document: <c>{"message": ..., "documentation_url": ...}</c>.</summary>
internal sealed record GitHubErrorBody(string? Message);
