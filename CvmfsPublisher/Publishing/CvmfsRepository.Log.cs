using Microsoft.Extensions.Logging;

namespace CvmfsImages.Publisher.Publishing;

// Event ids 8001-8099 belong to publishing; keep them stable (dashboards and alerts key on them).
public sealed partial class CvmfsRepository
{
    [LoggerMessage(EventId = 8001, Level = LogLevel.Warning, Message = "Recovered {Repository}: {Outcome}")]
    private partial void LogRecovered(string repository, string outcome);

    [LoggerMessage(EventId = 8002, Level = LogLevel.Information, Message = "Removed stale staging entry {Path}")]
    private partial void LogStaleStagingRemoved(string path);

    [LoggerMessage(EventId = 8003, Level = LogLevel.Information, Message = "Waiting for the repository lock {LockFile} (another publisher holds it)")]
    private partial void LogWaitingForLock(string lockFile);

    [LoggerMessage(EventId = 8004, Level = LogLevel.Information, Message = "Published {Changes} changes to {Repository} in {ElapsedMs} ms: {Message}")]
    private partial void LogCommitted(int changes, string repository, long elapsedMs, string message);

    [LoggerMessage(EventId = 8005, Level = LogLevel.Warning, Message = "Aborted a transaction on {Repository}; {Changes} changes in it were discarded")]
    private partial void LogAborted(string repository, int changes, Exception reason);

    [LoggerMessage(EventId = 8006, Level = LogLevel.Warning, Message = "Change failed: {Change}")]
    private partial void LogChangeFailed(string change, Exception error);

    [LoggerMessage(EventId = 8007, Level = LogLevel.Information, Message = "Added image {ConfigDigest} ({Platform}) for {Sources}")]
    private partial void LogImageAdded(string configDigest, string platform, IReadOnlyList<string> sources);

    [LoggerMessage(EventId = 8008, Level = LogLevel.Information, Message = "Tag {TagPath} -> {ConfigDigest}")]
    private partial void LogTagSet(string tagPath, string configDigest);

    [LoggerMessage(EventId = 8009, Level = LogLevel.Information, Message = "Removed tag {TagPath} (was {ConfigDigest})")]
    private partial void LogTagRemoved(string tagPath, string configDigest);

    [LoggerMessage(EventId = 8010, Level = LogLevel.Information, Message = "Image {ConfigDigest} is unreferenced since {Since:o}")]
    private partial void LogMarkedUnreferenced(string configDigest, DateTimeOffset since);

    [LoggerMessage(EventId = 8011, Level = LogLevel.Information, Message = "Garbage collection removed image {ConfigDigest} (unreferenced since {Since:o})")]
    private partial void LogImageRemoved(string configDigest, DateTimeOffset? since);

    [LoggerMessage(EventId = 8012, Level = LogLevel.Warning, Message = "Garbage collection could not remove image {ConfigDigest}")]
    private partial void LogImageRemoveFailed(string configDigest, Exception error);

    [LoggerMessage(EventId = 8013, Level = LogLevel.Debug, Message = "Ignoring {Path}: a symlink that does not point into .images ({Target})")]
    private partial void LogForeignLink(string path, string target);

    [LoggerMessage(EventId = 8014, Level = LogLevel.Warning, Message = "Ignoring unreadable image metadata {Path}")]
    private partial void LogUnreadableMetadata(string path, Exception error);

    [LoggerMessage(EventId = 8015, Level = LogLevel.Error, Message = "Could not abort the transaction on {Repository}; the next start will retry")]
    private partial void LogAbortFailed(string repository, Exception error);

    [LoggerMessage(EventId = 8016, Level = LogLevel.Information, Message = "Image {ConfigDigest} is referenced again; its grace period is cleared")]
    private partial void LogReferencedAgain(string configDigest);

    [LoggerMessage(EventId = 8017, Level = LogLevel.Warning, Message = "Skipping {Path}: this service cannot read it ({Reason}); what is below it is left alone and not seen as published")]
    private partial void LogUnreadableDirectory(string path, string reason);
}
