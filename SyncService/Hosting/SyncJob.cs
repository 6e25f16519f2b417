using CvmfsImages.Sync.Execution;
using CvmfsImages.Sync.Lists;
using CvmfsImages.Sync.Status;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Quartz;

namespace CvmfsImages.Sync.Hosting;

/// <summary>
/// What every scheduled job shares: cancellation on shutdown (the host's stopping token and Quartz's), a log line per
/// run, failures logged and never thrown into the scheduler, and the run recorded (on the registered
/// <see cref="TimeProvider"/>) for the missed-run check.
/// The jobs themselves are one line each; the work is in <see cref="Execution.SyncRunner"/>.
/// </summary>
internal abstract class SyncJob(StatusStore status, PassTracker tracker, IHostApplicationLifetime lifetime, TimeProvider time, ILogger logger) : IJob
{
    protected abstract string Name { get; }

    public async ValueTask Execute(IJobExecutionContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, context.CancellationToken, lifetime.ApplicationStopping);
        var started = time.GetTimestamp();
        JobLog.Starting(logger, Name);
        using var stopping = lifetime.ApplicationStopping.Register(() => JobLog.StopRequested(logger, Name));
        try
        {
            using (tracker.Begin(Name, out var progress))
            {
                await RunAsync(progress, cts.Token).ConfigureAwait(false);
            }

            await status.RecordJobRunAsync(Name, time.GetUtcNow(), CancellationToken.None).ConfigureAwait(false);
            var seconds = time.GetElapsedTime(started).TotalSeconds;
            JobLog.Finished(logger, Name, seconds);
        }
        catch (OperationCanceledException) when (cts.IsCancellationRequested)
        {
            JobLog.Stopped(logger, Name);
        }
        catch (ListReadException ex)
        {
            JobLog.ListUnreadable(logger, ex.Message);
        }
        catch (Exception ex)
        {
            JobLog.Failed(logger, ex, Name);
        }
    }

    /// <summary>The job's work; <paramref name="progress"/> feeds the status page's view of the running pass.</summary>
    protected abstract Task RunAsync(IProgress<ImageProgress> progress, CancellationToken ct);
}
