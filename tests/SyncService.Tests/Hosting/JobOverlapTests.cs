using System.Collections.Concurrent;
using System.Diagnostics;
using CvmfsImages.Sync.CommandLine;
using CvmfsImages.Sync.Configuration;
using CvmfsImages.Sync.Execution;
using CvmfsImages.Sync.Hosting;
using CvmfsImages.Tests.SyncService.EndToEnd;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Quartz;
using Xunit;

namespace CvmfsImages.Tests.SyncService.Hosting;

/// <summary>The three schedules of <c>serve</c> (list poll, full resync, garbage collection) never do repository work at once.</summary>
public sealed class JobOverlapTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task List_poll_full_resync_and_gc_started_together_do_their_repository_work_one_at_a_time()
    {
        var ct = TestContext.Current.CancellationToken;
        using var h = new SyncHarness();
        h.WriteList("# nothing listed");
        var settings = SyncSettings.Load(
            new CommandLineOverrides
            {
                List = h.ListPath,
                Root = h.Root,
                Settings =
                [
                    "Sync:StateDirectory=" + h.State,
                    "Http:Urls=http://127.0.0.1:0",
                    "Sync:Schedules:ListPoll=01:00:00",
                    "Sync:Schedules:FullResync=01:00:00",
                    "Sync:Schedules:GarbageCollection=01:00:00",
                ],
            },
            includeSystemFile: false);
        using var host = await ServeHost.BuildAsync(settings, verbose: false, ct);

        // Instrument the repository work: count who is inside; the first one in stays until released.
        var runner = host.Services.GetRequiredService<SyncRunner>();
        var inside = 0;
        var most = 0;
        var entries = new ConcurrentQueue<string>();
        var exits = 0;
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        runner.TestHook = async (point, _) =>
        {
            if (point.EndsWith("-start", StringComparison.Ordinal))
            {
                var now = Interlocked.Increment(ref inside);
                InterlockedMax(ref most, now);
                entries.Enqueue(point);
                // Edit the list at each entry: whichever sync job comes next (the poll, or the resync) sees a change
                // and syncs, so both sync jobs always do repository work, in whatever order the gate lets them in.
                h.WriteList($"# nothing listed (edit {entries.Count})");
                if (entries.Count == 1)
                {
                    await release.Task;
                }
            }
            else
            {
                Interlocked.Decrement(ref inside);
                Interlocked.Increment(ref exits);
            }
        };

        // At start the full resync and the garbage collection catch up (neither ever ran); the list poll (its first
        // run is an interval away when the full resync catches up) is triggered by hand at the same moment.
        await host.StartAsync(ct);
        try
        {
            var scheduler = await host.Services.GetRequiredService<ISchedulerFactory>().GetScheduler(ct);
            await scheduler.TriggerJob(new JobKey(ListPollJob.JobName), ct);

            // All three jobs are running: one inside, two waiting for the repository (a job that skipped the wait
            // would be inside too, and fail the count).
            var gate = host.Services.GetRequiredService<RepositoryGate>();
            await WaitUntilAsync(() => Task.FromResult(entries.Count == 1 && gate.Waiting == 2), () => Volatile.Read(ref most), () => $"one job inside and two waiting (entered: {string.Join(", ", entries)}; waiting {gate.Waiting})");
            Assert.Equal(1, Volatile.Read(ref most));
            Assert.Single(entries);

            release.SetResult();
            await WaitUntilAsync(() => Task.FromResult(Volatile.Read(ref exits) == 3), () => Volatile.Read(ref most), () => "the three jobs' repository work (entered: " + string.Join(", ", entries) + $"; exits {Volatile.Read(ref exits)})");
            Assert.Equal(1, Volatile.Read(ref most));
            Assert.Equal(["gc-start", "sync-start", "sync-start"], entries.Order(StringComparer.Ordinal));
        }
        finally
        {
            release.TrySetResult();
            await host.StopAsync(CancellationToken.None);
        }
    }

    private static void InterlockedMax(ref int target, int value)
    {
        int seen;
        while ((seen = Volatile.Read(ref target)) < value && Interlocked.CompareExchange(ref target, value, seen) != seen)
        {
        }
    }

    // Polls the condition; fails at once when two jobs were ever inside together, or when patience runs out.
    private static async Task WaitUntilAsync(Func<Task<bool>> condition, Func<int> most, Func<string> what)
    {
        var clock = Stopwatch.StartNew();
        while (!await condition())
        {
            Assert.True(most() <= 1, $"{most()} jobs did repository work at once while waiting for {what()}");
            Assert.True(clock.Elapsed < Patience, $"no {what()} within {Patience.TotalSeconds} s");
            await Task.Delay(20, TestContext.Current.CancellationToken);
        }
    }
}
