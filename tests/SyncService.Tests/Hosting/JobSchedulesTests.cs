using CvmfsImages.Sync.Configuration;
using CvmfsImages.Sync.Hosting;
using Xunit;

namespace CvmfsImages.Tests.SyncService.Hosting;

public sealed class JobSchedulesTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 23, 12, 0, 0, TimeSpan.Zero);

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
