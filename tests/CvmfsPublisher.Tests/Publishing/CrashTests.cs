using Xunit;
using System.Diagnostics;
using CvmfsImages.Publisher.Publishing;

namespace CvmfsImages.Tests.CvmfsPublisher.Publishing;

/// <summary>
/// kill -9 of a publishing process at named points (a child process pauses there and is killed): no tag ever points
/// at a partial image, and the next start recovers without manual steps.
/// </summary>
public sealed class CrashTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public static TheoryData<string, string> Points => new()
    {
        { TestRepository.Directory, "image-added" },
        { TestRepository.Directory, "tag-set" },
        { TestRepository.Directory, "tag-set#4" }, // in a batch of links journaled ahead: 3 of 11 set, 8 not yet
        { TestRepository.Directory, "before-commit" },
        { TestRepository.Directory, "after-commit" },
        { TestRepository.Cvmfs, "transaction-open" },
        { TestRepository.Cvmfs, "image-added" },
        { TestRepository.Cvmfs, "tag-set" },
        { TestRepository.Cvmfs, "before-commit" },
        { TestRepository.Ingest, "image-streaming" },
        { TestRepository.Ingest, "image-added" },
        { TestRepository.Ingest, "tag-set" },
    };

    [Theory]
    [MemberData(nameof(Points))]
    public Task Killed_at_a_point_of_a_publish_leaves_no_tag_on_a_partial_image_and_the_next_start_recovers(string kind, string point) =>
        KillAndRecoverAsync(kind, point, killTree: false);

    /// <summary>
    /// As when systemd or the OOM killer ends the service's whole cgroup: the running <c>cvmfs_server ingest</c> dies
    /// with it and leaves the repository in a transaction (the real command and the stand-in both do), which the next
    /// start must abort.
    /// </summary>
    [Fact]
    public async Task Killed_with_its_cvmfs_server_ingest_the_repository_is_left_in_a_transaction_that_the_next_start_aborts()
    {
        await KillAndRecoverAsync(TestRepository.Ingest, "image-streaming", killTree: true);
    }

    private static async Task KillAndRecoverAsync(string kind, string point, bool killTree)
    {
        using var test = new TestRepository(kind);
        string oldDigest;
        {
            var setup = test.Open();
            var old = TestImages.Stage(setup, "crash-old");
            oldDigest = old.Metadata.ConfigDigest;
            Assert.Empty((await setup.ApplyAsync([old, new SetTag("org/app:1", oldDigest), new SetTag("org/app:2", oldDigest)], null, Ct)).Failed);
        }

        using (var child = StartChild(point, test.Options()))
        {
            await WaitForLineAsync(child, $"PAUSED {point}");
            if (killTree)
            {
                // The ingest has started and opened its transaction (it reads the tar after that).
                using var limit = CancellationTokenSource.CreateLinkedTokenSource(Ct);
                limit.CancelAfter(TimeSpan.FromMinutes(1));
                while (!File.Exists(test.StandInTransactionMarker))
                {
                    await Task.Delay(20, limit.Token);
                }
            }

            // While the child holds the lock, another publisher waits and then fails clearly: never interleaves.
            {
                var other = test.Open(configure: o => o.LockTimeout = TimeSpan.FromMilliseconds(300));
                var blocked = await other.ApplyAsync([new RemoveTag("org/app:1")], null, Ct);
                Assert.IsType<RepositoryLockTimeoutException>(Assert.Single(blocked.Failed).Error);
            }

            child.Kill(entireProcessTree: killTree); // SIGKILL; without the tree a cvmfs_server child is orphaned and finishes
            await child.WaitForExitAsync(Ct);
        }

        if (killTree)
        {
            var busy = test.RunStandIn("transaction", TestRepository.RepositoryName);
            Assert.Equal(17, busy.ExitCode);
            Assert.Contains("another transaction is already open", busy.StandardError, StringComparison.Ordinal);
        }

        var repository = test.Open();
        await repository.RecoverAsync(Ct);
        var state = await repository.ReadStateAsync(Ct);
        var committed = point == "after-commit";
        var newDigest = TestImages.Digest("crash-new");
        Assert.Equal(committed ? newDigest : oldDigest, state.Tags["org/app:1"]);
        Assert.Equal(committed ? ["org/app:1"] : ["org/app:1", "org/app:2"], state.Tags.Keys.Order(StringComparer.Ordinal));
        Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Combine(test.TreeRoot, "org"), ".*")); // no temporary link left
        foreach (var (tag, digest) in state.Tags)
        {
            TestImages.AssertComplete(Path.Combine(test.TreeRoot, tag), digest == oldDigest ? "crash-old" : "crash-new");
            Assert.True(state.Images.ContainsKey(digest));
        }

        Assert.Empty(Directory.EnumerateFileSystemEntries(test.StagingDirectory, "stage.*"));
        Assert.Empty(Directory.EnumerateFileSystemEntries(test.StagingDirectory, "trash-*"));
        Assert.False(File.Exists(Path.Combine(test.StagingDirectory, "transaction.journal")));
        Assert.False(File.Exists(Path.Combine(test.StagingDirectory, "transaction.open")));

        // No manual step: the same publish now goes through, and nothing partial is reused.
        var again = TestImages.Stage(repository, "crash-new", extraFiles: 50);
        var result = await repository.ApplyAsync([again, new SetTag("org/app:1", newDigest), new RemoveTag("org/app:2")], null, Ct);
        Assert.Empty(result.Failed);
        TestImages.AssertComplete(Path.Combine(test.TreeRoot, "org", "app:1"), "crash-new");
        Assert.Equal(50, Directory.EnumerateFiles(Path.Combine(test.TreeRoot, "org", "app:1", "data"), "*", SearchOption.AllDirectories).Count());
    }

    private static Process StartChild(string point, PublisherOptions options)
    {
        var assembly = typeof(CrashChild).Assembly.Location;
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(assembly);
        foreach (var argument in CrashChild.Arguments(point, options))
        {
            start.ArgumentList.Add(argument);
        }

        return Process.Start(start)!;
    }

    private static async Task WaitForLineAsync(Process child, string expected)
    {
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        limit.CancelAfter(TimeSpan.FromMinutes(2));
        var seen = new List<string>();
        while (await child.StandardOutput.ReadLineAsync(limit.Token) is { } line)
        {
            if (line == expected)
            {
                return;
            }

            seen.Add(line);
        }

        Assert.Fail($"the child ended without '{expected}': {string.Join(" | ", seen)} {await child.StandardError.ReadToEndAsync(Ct)}");
    }
}
