using Microsoft.Extensions.Logging;

namespace CvmfsImages.Publisher.Publishing;

// Event ids 8050-8059: foreign (OSG-built) images.
public sealed partial class CvmfsRepository
{
    [LoggerMessage(EventId = 8050, Level = LogLevel.Warning, Message = "Not using {Path}: it is not OSG's missing-links file; it is left as it is")]
    private partial void LogMissingLinksUnreadable(string path, Exception error);

    [LoggerMessage(EventId = 8051, Level = LogLevel.Warning, Message = "Not using {Path}: unreadable; no foreign image is removed until it is fixed or deleted")]
    private partial void LogForeignClockUnreadable(string path, Exception error);

    [LoggerMessage(EventId = 8052, Level = LogLevel.Information, Message = "Foreign image {ImageKey} (a directory with no metadata of ours) is unreferenced since {Since:o}")]
    private partial void LogForeignUnreferenced(string imageKey, DateTimeOffset since);

    [LoggerMessage(EventId = 8054, Level = LogLevel.Warning, Message = "{Count} image directories are named by absolute links that do not start with Publisher:MountPath '{MountPath}' (e.g. {Example}): they are not read as tags, and garbage collection keeps what they name; set Publisher:MountPath to the path those links use")]
    private partial void LogLinkedElsewhere(int count, string example, string mountPath);

    [LoggerMessage(EventId = 8053, Level = LogLevel.Information, Message = "Adopted the image directory of {ImageKey} in place as {ConfigDigest} ({Platform}, {Bytes} bytes, {Entries} entries)")]
    private partial void LogImageAdopted(string imageKey, string configDigest, string platform, long bytes, long entries);
}
