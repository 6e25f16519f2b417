using Microsoft.Extensions.Logging;

namespace CvmfsImages.Sync.Execution;

// Event ids 5100-5199: the sync runner (list reads, garbage collection, status).
internal sealed partial class SyncRunner
{
    [LoggerMessage(EventId = 5100, Level = LogLevel.Debug, Message = "The list {List} is unchanged")]
    private static partial void LogListUnchanged(ILogger logger, string list);

    [LoggerMessage(EventId = 5101, Level = LogLevel.Information, Message = "The list {List} changed (version {Version}): syncing what changed")]
    private static partial void LogListChanged(ILogger logger, string list, string version);

    [LoggerMessage(EventId = 5102, Level = LogLevel.Information,
        Message = "Garbage collection (dry run: {DryRun}): {Removed} removed, {Marked} newly unreferenced, {Waiting} waiting for the grace period, {Failed} failed")]
    private static partial void LogGarbageCollected(ILogger logger, bool dryRun, int removed, int marked, int waiting, int failed);

    [LoggerMessage(EventId = 5103, Level = LogLevel.Warning, Message = "Could not write the status file {Path}")]
    private static partial void LogStatusWriteFailed(ILogger logger, Exception exception, string path);

    [LoggerMessage(EventId = 5104, Level = LogLevel.Warning, Message = "The list {List} is unchanged, but the last pass over version {Version} did not finish: syncing it again")]
    private static partial void LogListNotApplied(ILogger logger, string list, string version);
}
