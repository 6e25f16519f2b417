using CvmfsImages.Sync.Execution;
using CvmfsImages.Sync.Status;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Quartz;

namespace CvmfsImages.Sync.Hosting;

/// <summary>Re-resolves every tag and glob of the list and republishes what changed upstream.</summary>
[DisallowConcurrentExecution]
internal sealed class FullResyncJob(SyncRunner runner, StatusStore status, PassTracker tracker, IHostApplicationLifetime lifetime, TimeProvider time, ILogger<FullResyncJob> logger)
    : SyncJob(status, tracker, lifetime, time, logger)
{
    public const string JobName = "full-resync";

    protected override string Name => JobName;

    protected override Task RunAsync(IProgress<ImageProgress> progress, CancellationToken ct) => runner.SyncAllAsync(progress, ct);
}
