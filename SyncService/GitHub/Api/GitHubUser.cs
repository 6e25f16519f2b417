namespace CvmfsImages.Sync.GitHub.Api;

/// <summary>A user as the API embeds it (<c>login</c>, <c>type</c>: User or Bot).</summary>
internal sealed record GitHubUser(string Login, string? Type);
