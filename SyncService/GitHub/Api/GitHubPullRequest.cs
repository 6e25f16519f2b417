namespace CvmfsImages.Sync.GitHub.Api;

/// <summary>The part of a pull request (list or single) the service reads.</summary>
internal sealed record GitHubPullRequest(
    int Number,
    string State,
    string? Title,
    GitHubCommitRef Head,
    GitHubCommitRef Base,
    DateTimeOffset? MergedAt,
    string? MergeCommitSha,
    GitHubUser? User,
    string? HtmlUrl);
