using Microsoft.Extensions.Logging;

namespace CvmfsImages.Sync.GitHub;

internal sealed partial class PublishNoticeObserver
{
    [LoggerMessage(EventId = 6040, Level = LogLevel.Information, Message = "Publish notice posted on pull request {Number}")]
    private static partial void LogNoticePosted(ILogger logger, int number);

    [LoggerMessage(EventId = 6041, Level = LogLevel.Information, Message = "Publish notice on pull request {Number} updated")]
    private static partial void LogNoticeUpdated(ILogger logger, int number);

    [LoggerMessage(EventId = 6042, Level = LogLevel.Debug, Message = "Pull request {Number} was already told about '{Line}'")]
    private static partial void LogAlreadyAnswered(ILogger logger, int number, string line);

    [LoggerMessage(EventId = 6043, Level = LogLevel.Debug, Message = "Merged pull request {Number} scanned: {Lines} added line(s)")]
    private static partial void LogScanned(ILogger logger, int number, int lines);
}
