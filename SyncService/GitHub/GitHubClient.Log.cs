using Microsoft.Extensions.Logging;

namespace CvmfsImages.Sync.GitHub;

internal sealed partial class GitHubClient
{
    [LoggerMessage(EventId = 6000, Level = LogLevel.Debug, Message = "GitHub {Method} {Path} -> {Status} (rate limit remaining {Remaining})")]
    private static partial void LogRequest(ILogger logger, string method, string path, int status, int? remaining);

    [LoggerMessage(EventId = 6001, Level = LogLevel.Warning, Message = "GitHub rate limit reached for {Path}: waiting {Wait} until {RetryAt}")]
    private static partial void LogRateLimited(ILogger logger, string path, TimeSpan wait, DateTimeOffset retryAt);
}
