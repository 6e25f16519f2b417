using Xunit;
using System.Collections.Concurrent;
using CvmfsImages.Publisher.Publishing;

namespace CvmfsImages.Tests.CvmfsPublisher.Publishing;

public sealed class ConcurrencyTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [MemberData(nameof(TestRepository.Kinds), MemberType = typeof(TestRepository))]
    public async Task Two_publishers_on_one_repository_take_turns_and_never_interleave(string kind)
    {
        using var test = new TestRepository(kind);
        var events = new ConcurrentQueue<string>();
        var firstPaused = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var releaseFirst = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var first = test.Open();
        var second = test.Open();
        first.TestHook = async (point, ct) =>
        {
            events.Enqueue("first " + point);
            if (point == "tag-set")
            {
                firstPaused.TrySetResult();
                await releaseFirst.Task.WaitAsync(ct);
            }
        };
        second.TestHook = (point, _) =>
        {
            events.Enqueue("second " + point);
            return Task.CompletedTask;
        };
        var a = TestImages.Stage(first, "first");
        var b = TestImages.Stage(second, "second");

        var firstRun = first.ApplyAsync([a, new SetTag("org/shared:1", a.Metadata.ConfigDigest)], null, Ct);
        await firstPaused.Task.WaitAsync(TimeSpan.FromMinutes(1), Ct);
        var secondRun = second.ApplyAsync([b, new SetTag("org/shared:1", b.Metadata.ConfigDigest)], null, Ct);

        // The second waits for the lock; nothing of it may run until the first has committed.
        Assert.DoesNotContain(events, e => e.StartsWith("second", StringComparison.Ordinal));
        releaseFirst.SetResult();
        Assert.Empty((await firstRun).Failed);
        Assert.Empty((await secondRun).Failed);

        var order = events.ToList();
        var lastFirst = order.FindLastIndex(e => e.StartsWith("first", StringComparison.Ordinal));
        var firstSecond = order.FindIndex(e => e.StartsWith("second", StringComparison.Ordinal));
        Assert.True(lastFirst < firstSecond, string.Join(", ", order));
        Assert.Equal("first after-commit", order[lastFirst]);
        Assert.Equal(b.Metadata.ConfigDigest, (await second.ReadStateAsync(Ct)).Tags["org/shared:1"]);
    }
}
