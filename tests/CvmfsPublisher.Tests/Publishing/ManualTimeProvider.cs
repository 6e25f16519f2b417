using Xunit;
namespace CvmfsImages.Tests.CvmfsPublisher.Publishing;

/// <summary>A clock the test moves by hand (garbage-collection grace periods, transaction time bounds).</summary>
internal sealed class ManualTimeProvider(DateTimeOffset start) : TimeProvider
{
    private DateTimeOffset now = start;

    public override DateTimeOffset GetUtcNow() => now;

    // Elapsed-time measurements (transaction time bounds) follow the same hand-moved clock.
    public override long TimestampFrequency => TimeSpan.TicksPerSecond;

    public override long GetTimestamp() => now.UtcTicks;

    public void Advance(TimeSpan by) => now += by;
}
