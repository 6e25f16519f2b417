using CvmfsImages.Sync.Execution;
using CvmfsImages.Sync.Status;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Quartz;

namespace CvmfsImages.Sync.Hosting;

/// <summary>Re-reads the list; a changed list syncs what changed. The first run after start syncs everything.</summary>
[DisallowConcurrentExecution]
internal sealed class ListPollJob(SyncRunner runner, StatusStore status, IHostApplicationLifetime lifetime, ILogger<ListPollJob> logger)
    : SyncJob(status, lifetime, logger)
{
    public const string JobName = "list-poll";

    protected override string Name => JobName;

    protected override Task RunAsync(CancellationToken ct) => runner.SyncChangesAsync(null, ct);
}
