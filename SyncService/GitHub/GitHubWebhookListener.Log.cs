using Microsoft.Extensions.Logging;

namespace CvmfsImages.Sync.GitHub;

internal sealed partial class GitHubWebhookListener
{
    [LoggerMessage(EventId = 6010, Level = LogLevel.Information, Message = "GitHub webhook listening on {Prefix}")]
    private static partial void LogListening(ILogger logger, string prefix);

    [LoggerMessage(EventId = 6011, Level = LogLevel.Warning, Message = "GitHub webhook request rejected: {Reason} (delivery {Delivery})")]
    private static partial void LogRejected(ILogger logger, string reason, string? delivery);

    [LoggerMessage(EventId = 6012, Level = LogLevel.Information, Message = "GitHub webhook {Event} accepted (pull request {Number})")]
    private static partial void LogEvent(ILogger logger, string @event, int number);

    [LoggerMessage(EventId = 6013, Level = LogLevel.Warning, Message = "GitHub webhook request failed: {Message}")]
    private static partial void LogRequestFailed(ILogger logger, string message);

    [LoggerMessage(EventId = 6014, Level = LogLevel.Error, Message = "A GitHub webhook subscriber failed")]
    private static partial void LogSubscriberFailed(ILogger logger, Exception exception);
}
