using CvmfsImages.Sync.Execution;
using CvmfsImages.Sync.Status;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Quartz;

namespace CvmfsImages.Sync.Hosting;

/// <summary>
/// Re-reads the list; a changed list syncs what changed. The first poll of a process syncs every line (the runner has
/// no earlier list to compare with); a missed full resync is made up by its own catch-up trigger (<see cref="JobSchedules"/>).
/// </summary>
[DisallowConcurrentExecution]
internal sealed class ListPollJob(SyncRunner runner, StatusStore status, PassTracker tracker, IHostApplicationLifetime lifetime, TimeProvider time, ILogger<ListPollJob> logger)
    : SyncJob(status, tracker, lifetime, time, logger)
{
    public const string JobName = "list-poll";

    protected override string Name => JobName;

    protected override Task RunAsync(IProgress<ImageProgress> progress, CancellationToken ct) => runner.SyncChangesAsync(progress, ct);
}
