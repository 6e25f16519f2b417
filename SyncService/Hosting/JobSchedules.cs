using CvmfsImages.Sync.Configuration;
using Quartz;

namespace CvmfsImages.Sync.Hosting;

/// <summary>
/// The three schedules of <c>serve</c> as Quartz triggers. Missed runs (the service was down when one was due) run
/// once at start: the list poll's first run is always a full pass, which makes up a missed full resync; a missed
/// garbage collection gets a one-off trigger at start. Jobs never overlap: each is
/// <see cref="DisallowConcurrentExecutionAttribute"/> and all take the same <see cref="Execution.RepositoryGate"/>.
/// </summary>
internal static class JobSchedules
{
    public static IReadOnlyList<(string Job, string Description)> Configure(
        IQuartzBuilder quartz, ScheduleOptions options, IReadOnlyDictionary<string, DateTimeOffset> lastRuns, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(quartz);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(lastRuns);
        var poll = Schedule.Parse(options.ListPoll, "Sync:Schedules:ListPoll");
        var full = Schedule.Parse(options.FullResync, "Sync:Schedules:FullResync");
        var gc = Schedule.Parse(options.GarbageCollection, "Sync:Schedules:GarbageCollection");
        var gcMissed = IsMissed(gc, lastRuns.TryGetValue(GcJob.JobName, out var lastGc) ? lastGc : null, now);

        Add<ListPollJob>(quartz, ListPollJob.JobName, poll, now, firstAtStart: true);
        Add<FullResyncJob>(quartz, FullResyncJob.JobName, full, now, firstAtStart: false);
        Add<GcJob>(quartz, GcJob.JobName, gc, now, firstAtStart: false);
        if (gcMissed)
        {
            quartz.AddTrigger(t => t.ForJob(GcJob.JobName).WithIdentity(GcJob.JobName + "-catch-up").StartNow());
        }

        return
        [
            (ListPollJob.JobName, poll + " (first run at start: a full pass)"),
            (FullResyncJob.JobName, full.ToString()),
            (GcJob.JobName, gc + (gcMissed ? " (missed: one run at start)" : string.Empty)),
        ];
    }

    /// <summary>True when a run was due between <paramref name="lastRun"/> and <paramref name="now"/> (or it never ran).</summary>
    internal static bool IsMissed(Schedule schedule, DateTimeOffset? lastRun, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(schedule);
        if (lastRun is not { } last)
        {
            return true;
        }

        if (schedule.Interval is { } interval)
        {
            return last + interval <= now;
        }

        var next = new CronExpression(schedule.Cron!).GetNextValidTimeAfter(last);
        return next is { } due && due <= now;
    }

    private static void Add<TJob>(IQuartzBuilder quartz, string name, Schedule schedule, DateTimeOffset now, bool firstAtStart)
        where TJob : IJob
    {
        quartz.AddJob<TJob>(j => j.WithIdentity(name).StoreDurably());
        quartz.AddTrigger(t =>
        {
            t.ForJob(name).WithIdentity(name);
            if (schedule.Interval is { } interval)
            {
                t.StartAt(firstAtStart ? now : now + interval).WithSimpleSchedule(s => s.WithInterval(interval).RepeatForever());
            }
            else
            {
                if (firstAtStart)
                {
                    quartz.AddTrigger(c => c.ForJob(name).WithIdentity(name + "-at-start").StartNow());
                }

                t.WithCronSchedule(schedule.Cron!);
            }
        });
    }
}
