using CvmfsImages.Sync.Execution;
using CvmfsImages.Sync.Status;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Quartz;

namespace CvmfsImages.Sync.Hosting;

/// <summary>Garbage-collects images unreferenced for the grace period.</summary>
[DisallowConcurrentExecution]
internal sealed class GcJob(SyncRunner runner, StatusStore status, PassTracker tracker, IHostApplicationLifetime lifetime, TimeProvider time, ILogger<GcJob> logger)
    : SyncJob(status, tracker, lifetime, time, logger)
{
    public const string JobName = "gc";

    protected override string Name => JobName;

    protected override Task RunAsync(IProgress<ImageProgress> progress, CancellationToken ct) => runner.CollectGarbageAsync(dryRun: false, ct);
}
