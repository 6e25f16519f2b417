using System.Text.Json.Serialization;

namespace CvmfsImages.Sync.GitHub.Api;

/// <summary>Source-generated JSON for exactly the documents the client reads and writes (snake_case, as GitHub).</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    PropertyNameCaseInsensitive = false)]
[JsonSerializable(typeof(GitHubRepository))]
[JsonSerializable(typeof(GitHubPullRequest))]
[JsonSerializable(typeof(List<GitHubPullRequest>))]
[JsonSerializable(typeof(List<GitHubPullRequestFile>))]
[JsonSerializable(typeof(GitHubIssueComment))]
[JsonSerializable(typeof(List<GitHubIssueComment>))]
[JsonSerializable(typeof(CommitStatusRequest))]
[JsonSerializable(typeof(CommentRequest))]
[JsonSerializable(typeof(GitHubErrorBody))]
internal sealed partial class GitHubJsonContext : JsonSerializerContext;
