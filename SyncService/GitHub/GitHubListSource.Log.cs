using Microsoft.Extensions.Logging;

namespace CvmfsImages.Sync.GitHub;

internal sealed partial class GitHubListSource
{
    [LoggerMessage(EventId = 6020, Level = LogLevel.Debug, Message = "Image list {Source} unchanged (304)")]
    private static partial void LogUnchanged(ILogger logger, string source);

    [LoggerMessage(EventId = 6021, Level = LogLevel.Information, Message = "Image list {Source} read: {Characters} characters, ETag {ETag}")]
    private static partial void LogRead(ILogger logger, string source, int characters, string? etag);
}
