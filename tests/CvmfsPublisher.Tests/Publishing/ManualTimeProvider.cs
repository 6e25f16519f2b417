using Xunit;
namespace CvmfsImages.Tests.CvmfsPublisher.Publishing;

/// <summary>A clock the test moves by hand (garbage-collection grace periods).</summary>
internal sealed class ManualTimeProvider(DateTimeOffset start) : TimeProvider
{
    private DateTimeOffset now = start;

    public override DateTimeOffset GetUtcNow() => now;

    public void Advance(TimeSpan by) => now += by;
}
