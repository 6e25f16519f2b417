using CvmfsImages.Sync.Configuration;
using CvmfsImages.Sync.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Quartz;
using Xunit;

namespace CvmfsImages.Tests.SyncService.Hosting;

public sealed class JobSchedulesTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 23, 12, 0, 0, TimeSpan.Zero);

    // The schedules' tests start a day from now: Quartz moves a start time already past to the present.
    private static readonly DateTimeOffset At = new(DateTimeOffset.UtcNow.AddDays(1).Date, TimeSpan.Zero);

    [Theory]
    [InlineData("04:00:00", null, true)]                 // never ran: run once at start
    [InlineData("04:00:00", -3.5, false)]                // last run 3.5 h ago: the next is not due yet
    [InlineData("04:00:00", -4.5, true)]                 // missed while down
    [InlineData("0 30 3 * * ?", -0.01, false)]           // ran 36 s ago: a daily run is not due (whatever the time zone)
    [InlineData("0 30 3 * * ?", -30.0, true)]            // ran 30 h ago: a daily 03:30 passed while down
    public void A_run_due_while_the_service_was_down_is_missed(string schedule, double? hoursSinceLastRun, bool missed)
    {
        var parsed = Schedule.Parse(schedule, "Sync:Schedules:Test");
        DateTimeOffset? last = hoursSinceLastRun is { } h ? Now.AddHours(h) : null;
        Assert.Equal(missed, JobSchedules.IsMissed(parsed, last, Now));
    }

    [Theory]
    [InlineData(null, true)]   // never ran
    [InlineData(-4.5, true)]   // due 30 minutes ago, while the service was down
    [InlineData(-1.0, false)]  // ran an hour ago: the next is three hours away
    public async Task A_missed_full_resync_gets_its_own_catch_up_trigger_and_the_start_makes_one_full_pass(double? hoursSinceFullResync, bool missed)
    {
        var ct = TestContext.Current.CancellationToken;
        var options = new ScheduleOptions { ListPoll = "00:02:00", FullResync = "04:00:00", GarbageCollection = "1.00:00:00" };
        var lastRuns = new Dictionary<string, DateTimeOffset> { [GcJob.JobName] = At.AddHours(-1) };
        if (hoursSinceFullResync is { } h)
        {
            lastRuns[FullResyncJob.JobName] = At.AddHours(h);
        }

        var services = new ServiceCollection().AddLogging();
        IReadOnlyList<(string Job, string Description)> described = [];
        services.AddQuartz(q => described = JobSchedules.Configure(q, options, lastRuns, At));
        await using var provider = services.BuildServiceProvider();
        var scheduler = await provider.GetRequiredService<ISchedulerFactory>().GetScheduler(ct);
        try
        {
            var full = await scheduler.GetTriggersOfJob(new JobKey(FullResyncJob.JobName), ct);
            var poll = await scheduler.GetTriggersOfJob(new JobKey(ListPollJob.JobName), ct);
            var gc = await scheduler.GetTriggersOfJob(new JobKey(GcJob.JobName), ct);

            Assert.Equal(missed, full.Any(t => t.Key.Name == FullResyncJob.JobName + JobSchedules.CatchUpSuffix));
            Assert.Equal(At.AddHours(4), Assert.Single(full, t => t.Key.Name == FullResyncJob.JobName).StartTimeUtc);

            // Exactly one pass at start: the catch-up, or else the list poll (whose first run syncs every line).
            Assert.Equal(missed ? At.AddMinutes(2) : At, Assert.Single(poll).StartTimeUtc);
            Assert.DoesNotContain(gc, t => t.Key.Name.EndsWith(JobSchedules.CatchUpSuffix, StringComparison.Ordinal));
            Assert.Equal(missed, described.Single(d => d.Job == FullResyncJob.JobName).Description.Contains("missed", StringComparison.Ordinal));
        }
        finally
        {
            await scheduler.Shutdown(false, ct);
        }
    }

    [Fact]
    public async Task A_missed_garbage_collection_gets_its_catch_up_trigger()
    {
        var ct = TestContext.Current.CancellationToken;
        var lastRuns = new Dictionary<string, DateTimeOffset> { [FullResyncJob.JobName] = At.AddHours(-1), [GcJob.JobName] = At.AddDays(-2) };
        var services = new ServiceCollection().AddLogging();
        services.AddQuartz(q => JobSchedules.Configure(q, new ScheduleOptions { GarbageCollection = "1.00:00:00" }, lastRuns, At));
        await using var provider = services.BuildServiceProvider();
        var scheduler = await provider.GetRequiredService<ISchedulerFactory>().GetScheduler(ct);
        try
        {
            var gc = await scheduler.GetTriggersOfJob(new JobKey(GcJob.JobName), ct);
            Assert.Contains(gc, t => t.Key.Name == GcJob.JobName + JobSchedules.CatchUpSuffix);
            Assert.DoesNotContain(await scheduler.GetTriggersOfJob(new JobKey(FullResyncJob.JobName), ct), t => t.Key.Name.EndsWith(JobSchedules.CatchUpSuffix, StringComparison.Ordinal));
        }
        finally
        {
            await scheduler.Shutdown(false, ct);
        }
    }

    [Theory]
    [InlineData("00:02:00", 120.0)]
    [InlineData("1.00:00:00", 86400.0)]
    public void Intervals_parse(string text, double seconds) =>
        Assert.Equal(TimeSpan.FromSeconds(seconds), Schedule.Parse(text, "k").Interval);

    [Theory]
    [InlineData("00:00:00")]
    [InlineData("-00:01:00")]
    [InlineData("every day")]
    [InlineData("")]
    public void Nonsense_is_refused_naming_the_key(string text)
    {
        var ex = Assert.Throws<OptionsException>(() => Schedule.Parse(text, "Sync:Schedules:ListPoll"));
        Assert.Equal("Sync:Schedules:ListPoll", ex.Key);
        Assert.Contains("Sync:Schedules:ListPoll", ex.Message, StringComparison.Ordinal);
    }
}
