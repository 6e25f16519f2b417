using Microsoft.Extensions.Logging;

namespace CvmfsImages.Sync.Hosting;

// Event ids 5200-5299: serve, its schedules and its HTTP endpoint.
internal static partial class JobLog
{
    [LoggerMessage(EventId = 5200, Level = LogLevel.Information, Message = "Job {Job} starting")]
    public static partial void Starting(ILogger logger, string job);

    [LoggerMessage(EventId = 5201, Level = LogLevel.Information, Message = "Job {Job} finished in {Seconds:0.0} s")]
    public static partial void Finished(ILogger logger, string job, double seconds);

    [LoggerMessage(EventId = 5202, Level = LogLevel.Error, Message = "Job {Job} failed; it runs again at its next time")]
    public static partial void Failed(ILogger logger, Exception exception, string job);

    [LoggerMessage(EventId = 5203, Level = LogLevel.Warning, Message = "Job {Job} stopped: the service is shutting down (an open transaction was finished or aborted)")]
    public static partial void Stopped(ILogger logger, string job);

    [LoggerMessage(EventId = 5204, Level = LogLevel.Information, Message = "Schedule {Job}: {Schedule}{CatchUp}")]
    public static partial void Scheduled(ILogger logger, string job, string schedule, string catchUp);

    [LoggerMessage(EventId = 5205, Level = LogLevel.Information, Message = "HTTP listening on {Urls}: status page /, JSON /api/status, /metrics, /healthz, /readyz{Webhook}")]
    public static partial void Listening(ILogger logger, string urls, string webhook);

    [LoggerMessage(EventId = 5206, Level = LogLevel.Warning, Message = "HTTP listens on {Urls}, which is not loopback (Http:AllowNonLoopback): put a TLS-terminating proxy in front")]
    public static partial void NotLoopback(ILogger logger, string urls);

    [LoggerMessage(EventId = 5207, Level = LogLevel.Warning, Message = "The list could not be read: {Reason}; what is published stays")]
    public static partial void ListUnreadable(ILogger logger, string reason);

    [LoggerMessage(EventId = 5208, Level = LogLevel.Warning, Message = "Job {Job}: stop requested; a cvmfs_server publish already running is let finish (it is the commit), anything before it is aborted")]
    public static partial void StopRequested(ILogger logger, string job);

    [LoggerMessage(EventId = 5209, Level = LogLevel.Information, Message = "Ready: {Status}")]
    public static partial void Ready(ILogger logger, string status);
}
