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
    public async Task Killed_at_a_point_of_a_publish_leaves_no_tag_on_a_partial_image_and_the_next_start_recovers(string kind, string point)
    {
        using var test = new TestRepository(kind);
        string oldDigest;
        await using (var setup = test.Open())
        {
            var old = TestImages.Stage(setup, "crash-old");
            oldDigest = old.Metadata.ConfigDigest;
            Assert.Empty((await setup.ApplyAsync([old, new SetTag("org/app:1", oldDigest), new SetTag("org/app:2", oldDigest)], null, Ct)).Failed);
        }

        using (var child = StartChild(point, test.Options()))
        {
            await WaitForLineAsync(child, $"PAUSED {point}");

            // While the child holds the lock, another publisher waits and then fails clearly: never interleaves.
            await using (var other = test.Open(configure: o => o.LockTimeout = TimeSpan.FromMilliseconds(300)))
            {
                var blocked = await other.ApplyAsync([new RemoveTag("org/app:1")], null, Ct);
                Assert.IsType<RepositoryLockTimeoutException>(Assert.Single(blocked.Failed).Error);
            }

            child.Kill(entireProcessTree: false); // SIGKILL; a cvmfs_server child, if any, is orphaned as in a real crash
            await child.WaitForExitAsync(Ct);
        }

        await using var repository = test.Open();
        await repository.RecoverAsync(Ct);
        var state = await repository.ReadStateAsync(Ct);
        var committed = point == "after-commit";
        var newDigest = TestImages.Digest("crash-new");
        Assert.Equal(committed ? newDigest : oldDigest, state.Tags["org/app:1"]);
        Assert.Equal(!committed, state.Tags.ContainsKey("org/app:2"));
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
