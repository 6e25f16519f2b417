using Quartz;

namespace CvmfsImages.Sync.Hosting;

/// <summary>
/// What the status page and the health checks ask of the scheduler: whether it runs, and when each job runs next
/// (the earliest of its triggers). Keeps Quartz inside Hosting/.
/// </summary>
internal sealed class ScheduleInfo(ISchedulerFactory schedulers)
{
    /// <summary>The jobs, in the order the page shows them.</summary>
    public static IReadOnlyList<string> Jobs { get; } = [ListPollJob.JobName, FullResyncJob.JobName, GcJob.JobName];

    /// <summary>True when the scheduler is started and neither shut down nor in standby.</summary>
    public async Task<bool> IsRunningAsync(CancellationToken ct)
    {
        var scheduler = await schedulers.GetScheduler(ct).ConfigureAwait(false);
        return await scheduler.GetStatus(ct).ConfigureAwait(false) == SchedulerStatus.Running;
    }

    /// <summary>When <paramref name="job"/> fires next, or null when no trigger will fire it again.</summary>
    public async Task<DateTimeOffset?> NextRunAsync(string job, CancellationToken ct)
    {
        var scheduler = await schedulers.GetScheduler(ct).ConfigureAwait(false);
        if (await scheduler.GetStatus(ct).ConfigureAwait(false) >= SchedulerStatus.ShuttingDown)
        {
            return null;
        }

        var triggers = await scheduler.GetTriggersOfJob(new JobKey(job), ct).ConfigureAwait(false);
        return triggers.Select(t => t.NextFireTimeUtc).Where(t => t is not null).Min();
    }

    /// <summary>
    /// The first run of <paramref name="job"/> at or after <paramref name="time"/> (e.g. the garbage collection that
    /// removes an image whose grace period ends then), from its regular trigger; null when unknown.
    /// </summary>
    public async Task<DateTimeOffset?> RunAtOrAfterAsync(string job, DateTimeOffset time, CancellationToken ct)
    {
        var scheduler = await schedulers.GetScheduler(ct).ConfigureAwait(false);
        if (await scheduler.GetStatus(ct).ConfigureAwait(false) >= SchedulerStatus.ShuttingDown)
        {
            return null;
        }

        var trigger = await scheduler.GetTrigger(new TriggerKey(job), ct).ConfigureAwait(false);
        if (trigger?.NextFireTimeUtc is not { } next)
        {
            return null;
        }

        return next >= time ? next : trigger.GetFireTimeAfter(time.AddTicks(-1));
    }
}
