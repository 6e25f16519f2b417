using System.Diagnostics;
using CvmfsImages.Publisher.Publishing;
using CvmfsImages.Registry;
using CvmfsImages.Sync.Execution;
using CvmfsImages.TestSupport;
using CvmfsImages.TestSupport.Images;
using Xunit;

namespace CvmfsImages.Tests.SyncService.EndToEnd;

/// <summary>
/// A list change counts as applied only when a pass over it finished: the list source already calls a version it
/// returned seen (a 304 from GitHub, the same hash of a file), so a pass that throws must be run again by the next poll,
/// not left for the next full resync.
/// </summary>
public sealed class UnappliedListTests(RegistryFixture fixture) : IClassFixture<RegistryFixture>
{
    [Fact]
    public async Task A_pass_that_throws_after_a_list_change_was_read_runs_again_at_the_next_poll()
    {
        var registry = fixture.Registry;
        var ct = TestContext.Current.CancellationToken;
        using var client = new RegistryClient(new RegistryClientOptions());
        await TestImage.Create().WithLayer(TestFile.Text("etc/hello", "apply a\n")).PushAsync(client, $"{registry.Host}/apply/a:1", ct);
        await TestImage.Create().WithLayer(TestFile.Text("etc/hello", "apply b\n")).PushAsync(client, $"{registry.Host}/apply/b:1", ct);
        using var h = new SyncHarness();
        h.WriteList($"{registry.Host}/apply/a:1");
        await using var session = h.Open();
        var runner = session.Runner;

        var first = await runner.SyncChangesAsync(null, ct);
        Assert.NotNull(first);
        Assert.True(first.Succeeded);
        var firstVersion = runner.AppliedListVersion;
        Assert.NotNull(firstVersion);

        // The list changes; the pass over the change throws after the list was read.
        h.WriteList($"{registry.Host}/apply/a:1", $"{registry.Host}/apply/b:1");
        runner.TestHook = (point, _) => point == "sync-start" ? throw new IOException("injected: the pass broke") : Task.CompletedTask;
        var thrown = await Assert.ThrowsAsync<IOException>(() => runner.SyncChangesAsync(null, ct));
        Assert.Contains("injected", thrown.Message, StringComparison.Ordinal);
        Assert.Null(h.ImageOf("apply/b:1"));
        Assert.Equal(firstVersion, runner.AppliedListVersion);

        // The file is unchanged since that read, yet the next poll syncs the change.
        runner.TestHook = null;
        var retried = await runner.SyncChangesAsync(null, ct);
        Assert.NotNull(retried);
        var b = Assert.Single(retried.Results, r => r.LineNumber == 2);
        Assert.Equal(ImageOutcome.Published, b.Outcome);
        Assert.DoesNotContain(retried.Results, r => r.LineNumber == 1); // only what changed
        Assert.Equal("apply b\n", h.ReadFromImage("apply/b:1", "etc/hello"));
        Assert.NotEqual(firstVersion, runner.AppliedListVersion);

        // Applied now: the poll after is a no-op.
        Assert.Null(await runner.SyncChangesAsync(null, ct));
    }

    [Fact]
    public async Task A_first_pass_refused_by_another_publishers_lock_runs_again_at_the_next_poll()
    {
        var registry = fixture.Registry;
        var ct = TestContext.Current.CancellationToken;
        using var client = new RegistryClient(new RegistryClientOptions());
        await TestImage.Create().WithLayer(TestFile.Text("etc/hello", "locked\n")).PushAsync(client, $"{registry.Host}/apply/locked:1", ct);
        using var h = new SyncHarness();
        h.WriteList($"{registry.Host}/apply/locked:1");
        var lockFile = h.Combine("publisher.lock");
        await using var session = h.Open(null, "Publisher:LockFile=" + lockFile, "Publisher:LockTimeout=00:00:01");
        var runner = session.Runner;

        // Another publisher (flock(1), as a second process) holds the repository past the lock timeout.
        var psi = new ProcessStartInfo("flock", ["-x", lockFile, "-c", "echo held; read line"])
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        using (var holder = Process.Start(psi)!)
        {
            try
            {
                Assert.Equal("held", await holder.StandardOutput.ReadLineAsync(ct));
                await Assert.ThrowsAsync<RepositoryLockTimeoutException>(() => runner.SyncChangesAsync(null, ct));
                Assert.Null(runner.AppliedListVersion);
            }
            finally
            {
                holder.StandardInput.Close();
                await holder.WaitForExitAsync(ct);
            }
        }

        var retried = await runner.SyncChangesAsync(null, ct);
        Assert.NotNull(retried);
        Assert.True(retried.Succeeded, string.Join('\n', retried.Results.Select(r => $"{r.Reference} {r.Outcome} {r.Detail}")));
        Assert.Equal(1, retried.Count(ImageOutcome.Published));
        Assert.Equal("locked\n", h.ReadFromImage("apply/locked:1", "etc/hello"));
        Assert.NotNull(runner.AppliedListVersion);
    }
}
