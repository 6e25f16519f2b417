using Microsoft.Extensions.Logging;

namespace CvmfsImages.Sync.GitHub;

internal sealed partial class PullRequestChecker
{
    [LoggerMessage(EventId = 6030, Level = LogLevel.Information, Message = "Checking pull request {Number} at {HeadSha}")]
    private static partial void LogChecking(ILogger logger, int number, string headSha);

    [LoggerMessage(EventId = 6031, Level = LogLevel.Information, Message = "Pull request {Number} at {HeadSha}: {State} ({Description})")]
    private static partial void LogChecked(ILogger logger, int number, string headSha, string state, string description);

    [LoggerMessage(EventId = 6032, Level = LogLevel.Warning, Message = "Pull request {Number} could not be checked: {Reason}")]
    private static partial void LogCheckFailed(ILogger logger, int number, string reason);

    [LoggerMessage(EventId = 6033, Level = LogLevel.Warning, Message = "Line {LineNumber} ('{Text}') could not be resolved now; will retry")]
    private static partial void LogResolveRetry(ILogger logger, int lineNumber, string text, Exception exception);
}
