using Microsoft.Extensions.Logging;

namespace CvmfsImages.Sync.Execution;

// Event ids 5000-5099: the sync engine.
internal sealed partial class SyncEngine
{
    [LoggerMessage(EventId = 5000, Level = LogLevel.Information, Message = "Sync of {ListSource} ({Scope}) starting: {Entries} list entries")]
    private static partial void LogSyncStarting(ILogger logger, string listSource, string scope, int entries);

    [LoggerMessage(EventId = 5001, Level = LogLevel.Information,
        Message = "Sync of {ListSource} finished in {Seconds:0.0} s: {Current} current, {Published} published, {Updated} updated, {Removed} removed, {Failed} failed")]
    private static partial void LogSyncFinished(ILogger logger, string listSource, int current, int published, int updated, int removed, int failed, double seconds);

    [LoggerMessage(EventId = 5002, Level = LogLevel.Warning, Message = "{ListSource} line {LineNumber}: {Problem}")]
    private static partial void LogListProblem(ILogger logger, string listSource, int lineNumber, string problem);

    [LoggerMessage(EventId = 5003, Level = LogLevel.Warning, Message = "Line {LineNumber} '{Line}' matches {Matched} tags; only the {Kept} highest are synced (Sync:MaxTagsPerGlob)")]
    private static partial void LogGlobCut(ILogger logger, int lineNumber, string line, int matched, int kept);

    [LoggerMessage(EventId = 5004, Level = LogLevel.Warning, Message = "Resolving {Reference} (line {LineNumber}) failed: {Reason}")]
    private static partial void LogResolveFailed(ILogger logger, Exception? exception, string reference, int lineNumber, string reason);

    [LoggerMessage(EventId = 5005, Level = LogLevel.Error, Message = "{Reference} (line {LineNumber}) failed: {Reason}")]
    private static partial void LogImageFailed(ILogger logger, Exception? exception, string reference, int lineNumber, string reason);

    [LoggerMessage(EventId = 5006, Level = LogLevel.Information, Message = "Pulling {Reference}: image {ConfigDigest}, {Layers} layers, {Bytes} bytes")]
    private static partial void LogPulling(ILogger logger, string reference, string configDigest, int layers, long bytes);

    [LoggerMessage(EventId = 5007, Level = LogLevel.Information, Message = "Publishing {Changes} changes ({Images} new images)")]
    private static partial void LogPublishing(ILogger logger, int changes, int images);

    [LoggerMessage(EventId = 5008, Level = LogLevel.Information, Message = "Published {Reference} at {TagPath} (image {ConfigDigest})")]
    private static partial void LogImagePublished(ILogger logger, string reference, string tagPath, string configDigest);

    [LoggerMessage(EventId = 5009, Level = LogLevel.Information, Message = "Removed {TagPath}: no list line names it")]
    private static partial void LogTagRemoved(ILogger logger, string tagPath);

    [LoggerMessage(EventId = 5010, Level = LogLevel.Warning, Message = "Observer {Observer} failed on {Reference}")]
    private static partial void LogObserverFailed(ILogger logger, Exception exception, string observer, string reference);

    [LoggerMessage(EventId = 5011, Level = LogLevel.Warning, Message = "Could not remove the staged tree {Path}")]
    private static partial void LogCleanupFailed(ILogger logger, Exception exception, string path);

    [LoggerMessage(EventId = 5012, Level = LogLevel.Warning, Message = "Registry {Registry} did not answer (line {LineNumber}: {Reason}); its other images fail at once until the next pass")]
    private static partial void LogRegistryUnreachable(ILogger logger, string registry, int lineNumber, string reason);

    [LoggerMessage(EventId = 5013, Level = LogLevel.Error,
        Message = "{ListSource} would remove {Removals} of the {Published} published tags in one pass, more than Sync:MaxRemovalPercent ({MaxPercent} %): the pass stopped before changing anything (--allow-mass-removal lets it go through)")]
    private static partial void LogMassRemovalRefused(ILogger logger, string listSource, int removals, int published, int maxPercent);
}
