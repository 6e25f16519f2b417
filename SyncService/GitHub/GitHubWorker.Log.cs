using Microsoft.Extensions.Logging;

namespace CvmfsImages.Sync.GitHub;

internal sealed partial class GitHubWorker
{
    [LoggerMessage(EventId = 6050, Level = LogLevel.Warning, Message = "GitHub round failed (tried again next round): {Reason}")]
    private static partial void LogRoundFailed(ILogger logger, string reason);

    [LoggerMessage(EventId = 6051, Level = LogLevel.Information, Message = "Webhook: list poll triggered")]
    private static partial void LogListPollTriggered(ILogger logger);
}
