using CvmfsImages.Sync.Configuration;
using Quartz;

namespace CvmfsImages.Sync.Hosting;

/// <summary>
/// The three schedules of <c>serve</c> as Quartz triggers. A run missed while the service was down (or that never
/// ran) gets a one-off catch-up trigger at start, for the full resync and for garbage collection alike. At start one
/// pass runs: the full resync's catch-up when it was missed, else the list poll (the first poll of a new process has no
/// earlier list to compare with, so it syncs every line). When the catch-up runs, the list poll's first run waits one
/// interval, so a start never makes two full passes. Jobs never overlap: each is
/// <see cref="DisallowConcurrentExecutionAttribute"/> and all take the same <see cref="Execution.RepositoryGate"/>.
/// </summary>
internal static class JobSchedules
{
    /// <summary>The suffix of a catch-up trigger's name (<c>full-resync-catch-up</c>, <c>gc-catch-up</c>).</summary>
    public const string CatchUpSuffix = "-catch-up";

    public static IReadOnlyList<(string Job, string Description)> Configure(
        IQuartzBuilder quartz, ScheduleOptions options, IReadOnlyDictionary<string, DateTimeOffset> lastRuns, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(quartz);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(lastRuns);
        var poll = Schedule.Parse(options.ListPoll, "Sync:Schedules:ListPoll");
        var full = Schedule.Parse(options.FullResync, "Sync:Schedules:FullResync");
        var gc = Schedule.Parse(options.GarbageCollection, "Sync:Schedules:GarbageCollection");
        var fullMissed = IsMissed(full, LastRun(lastRuns, FullResyncJob.JobName), now);
        var gcMissed = IsMissed(gc, LastRun(lastRuns, GcJob.JobName), now);

        Add<ListPollJob>(quartz, ListPollJob.JobName, poll, now, firstAtStart: !fullMissed);
        Add<FullResyncJob>(quartz, FullResyncJob.JobName, full, now, firstAtStart: false);
        Add<GcJob>(quartz, GcJob.JobName, gc, now, firstAtStart: false);
        if (fullMissed)
        {
            AddCatchUp(quartz, FullResyncJob.JobName);
        }

        if (gcMissed)
        {
            AddCatchUp(quartz, GcJob.JobName);
        }

        return
        [
            (ListPollJob.JobName, poll + (fullMissed ? " (first run one interval after start: the full resync catches up first)" : " (first run at start: a full pass)")),
            (FullResyncJob.JobName, full + (fullMissed ? " (missed: one run at start)" : string.Empty)),
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

    private static DateTimeOffset? LastRun(IReadOnlyDictionary<string, DateTimeOffset> lastRuns, string job) =>
        lastRuns.TryGetValue(job, out var last) ? last : null;

    private static void AddCatchUp(IQuartzBuilder quartz, string job) =>
        quartz.AddTrigger(t => t.ForJob(job).WithIdentity(job + CatchUpSuffix).StartNow());

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
                t.WithCronSchedule(schedule.Cron!);
            }
        });
        if (firstAtStart && schedule.Interval is null)
        {
            quartz.AddTrigger(c => c.ForJob(name).WithIdentity(name + "-at-start").StartNow());
        }
    }
}
