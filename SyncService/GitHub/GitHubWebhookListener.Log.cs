using Microsoft.Extensions.Logging;

namespace CvmfsImages.Sync.GitHub;

// Event ids 6010 (listening) and 6013 (request failed) belonged to the HttpListener endpoint; Kestrel logs those now.
internal sealed partial class GitHubWebhookListener
{
    [LoggerMessage(EventId = 6011, Level = LogLevel.Warning, Message = "GitHub webhook request rejected: {Reason} (delivery {Delivery})")]
    private static partial void LogRejected(ILogger logger, string reason, string? delivery);

    [LoggerMessage(EventId = 6012, Level = LogLevel.Information, Message = "GitHub webhook {Event} accepted (pull request {Number})")]
    private static partial void LogEvent(ILogger logger, string @event, int number);

    [LoggerMessage(EventId = 6014, Level = LogLevel.Error, Message = "A GitHub webhook subscriber failed")]
    private static partial void LogSubscriberFailed(ILogger logger, Exception exception);
}
