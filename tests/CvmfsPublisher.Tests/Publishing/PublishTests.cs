using Xunit;
using System.Text.Json;
using CvmfsImages.Publisher.Publishing;
using CvmfsImages.TestSupport;

namespace CvmfsImages.Tests.CvmfsPublisher.Publishing;

/// <summary>Publishing through each backend: a plain directory, cvmfs_server transactions, cvmfs_server ingest.</summary>
public sealed class PublishTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [MemberData(nameof(TestRepository.Kinds), MemberType = typeof(TestRepository))]
    public async Task Publishes_an_image_and_a_relative_tag_symlink_into_it(string kind)
    {
        using var test = new TestRepository(kind);
        var repository = test.Open();
        await repository.RecoverAsync(Ct);
        var add = TestImages.Stage(repository, "python");
        var digest = add.Metadata.ConfigDigest;

        var result = await repository.ApplyAsync([add, new SetTag("library/python:3.12", digest)], null, Ct);

        Assert.Empty(result.Failed);
        Assert.Equal(2, result.Applied.Count);
        var link = Path.Combine(test.TreeRoot, "library", "python:3.12");
        Assert.Equal("../" + RepositoryLayout.ImageDirectory(digest), new FileInfo(link).LinkTarget);
        TestImages.AssertComplete(Path.Combine(test.TreeRoot, RepositoryLayout.ImageDirectory(digest)), "python");
        TestImages.AssertComplete(link, "python"); // through the link, as singularity would
        Assert.False(Directory.Exists(add.StagedTree), "the staged tree is consumed");

        var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(test.TreeRoot, RepositoryLayout.MetadataFile(digest)))).RootElement;
        Assert.Equal(1, json.GetProperty("schemaVersion").GetInt32());
        Assert.Equal(digest, json.GetProperty("configDigest").GetString());
        Assert.Equal("linux/amd64", json.GetProperty("platform").GetString());
        Assert.Equal("docker.io/library/python:latest", json.GetProperty("sources")[0].GetString());
        Assert.False(json.TryGetProperty("unreferencedSince", out _));

        var state = await repository.ReadStateAsync(Ct);
        Assert.Equal(digest, Assert.Single(state.Tags, t => t.Key == "library/python:3.12").Value);
        Assert.Equal("linux/amd64", state.Images[digest].Platform);
        Assert.NotEqual(default, state.Images[digest].PublishedAt);
    }

    [Theory]
    [MemberData(nameof(TestRepository.Kinds), MemberType = typeof(TestRepository))]
    public async Task Moves_a_tag_to_a_new_image_and_removes_a_tag_marking_the_old_image_unreferenced(string kind)
    {
        using var test = new TestRepository(kind);
        var clock = new ManualTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        var repository = test.Open(clock);
        var v1 = TestImages.Stage(repository, "tool-v1");
        Assert.Empty((await repository.ApplyAsync(
            [v1, new SetTag("org/tool:latest", v1.Metadata.ConfigDigest), new SetTag("org/tool:v1", v1.Metadata.ConfigDigest)], null, Ct)).Failed);

        clock.Advance(TimeSpan.FromHours(1));
        var v2 = TestImages.Stage(repository, "tool-v2");
        var result = await repository.ApplyAsync([v2, new SetTag("org/tool:latest", v2.Metadata.ConfigDigest)], null, Ct);
        Assert.Empty(result.Failed);
        var state = await repository.ReadStateAsync(Ct);
        Assert.Equal(v2.Metadata.ConfigDigest, state.Tags["org/tool:latest"]);
        Assert.Null(state.Images[v1.Metadata.ConfigDigest].UnreferencedSince); // org/tool:v1 still refers to it
        TestImages.AssertComplete(Path.Combine(test.TreeRoot, "org", "tool:latest"), "tool-v2");

        clock.Advance(TimeSpan.FromHours(1));
        Assert.Empty((await repository.ApplyAsync([new RemoveTag("org/tool:v1"), new RemoveTag("org/never:there")], null, Ct)).Failed);
        state = await repository.ReadStateAsync(Ct);
        Assert.False(state.Tags.ContainsKey("org/tool:v1"));
        Assert.False(File.Exists(Path.Combine(test.TreeRoot, "org", "tool:v1")));
        Assert.Equal(clock.GetUtcNow(), state.Images[v1.Metadata.ConfigDigest].UnreferencedSince);

        // Removing the last tag of a namespace removes its now-empty directory.
        Assert.Empty((await repository.ApplyAsync([new RemoveTag("org/tool:latest")], null, Ct)).Failed);
        Assert.False(Directory.Exists(Path.Combine(test.TreeRoot, "org")));
    }

    [Theory]
    [MemberData(nameof(TestRepository.Kinds), MemberType = typeof(TestRepository))]
    public async Task Publishes_platforms_side_by_side_and_both_path_styles(string kind)
    {
        using var test = new TestRepository(kind);
        var repository = test.Open();
        var amd64 = TestImages.Stage(repository, "multi-amd64", "linux/amd64");
        var arm64 = TestImages.Stage(repository, "multi-arm64", "linux/arm64/v8");
        var primary = RepositoryLayout.TagPath("docker.io", "library/multi", "1.0", null, PathStyle.Osg);
        var secondary = RepositoryLayout.TagPath("docker.io", "library/multi", "1.0", null, PathStyle.Osg, RepositoryLayout.PlatformSuffix("linux", "arm64", "v8"));
        var registryStyle = RepositoryLayout.TagPath("docker.io", "library/multi", "1.0", null, PathStyle.Registry);

        var result = await repository.ApplyAsync(
            [amd64, arm64, new SetTag(primary, amd64.Metadata.ConfigDigest), new SetTag(secondary, arm64.Metadata.ConfigDigest), new SetTag(registryStyle, amd64.Metadata.ConfigDigest)],
            null,
            Ct);

        Assert.Empty(result.Failed);
        Assert.Equal("library/multi:1.0@linux-arm64-v8", secondary);
        Assert.Equal("docker.io/library/multi:1.0", registryStyle);
        TestImages.AssertComplete(Path.Combine(test.TreeRoot, primary), "multi-amd64");
        TestImages.AssertComplete(Path.Combine(test.TreeRoot, secondary), "multi-arm64");
        TestImages.AssertComplete(Path.Combine(test.TreeRoot, registryStyle), "multi-amd64");
        Assert.Equal("../../" + RepositoryLayout.ImageDirectory(amd64.Metadata.ConfigDigest), new FileInfo(Path.Combine(test.TreeRoot, registryStyle)).LinkTarget);
        var state = await repository.ReadStateAsync(Ct);
        Assert.Equal("linux/arm64/v8", state.Images[state.Tags[secondary]].Platform);
        Assert.Equal(3, state.Tags.Count);
    }

    [Theory]
    [MemberData(nameof(TestRepository.Kinds), MemberType = typeof(TestRepository))]
    public async Task Refuses_two_references_on_one_path_naming_both_and_writes_neither(string kind)
    {
        using var test = new TestRepository(kind);
        var repository = test.Open();
        var a = TestImages.Stage(repository, "from-docker-hub");
        var b = TestImages.Stage(repository, "from-ghcr");

        var result = await repository.ApplyAsync(
            [a, b,
             new SetTag("org/tool:1", a.Metadata.ConfigDigest) { Reference = "docker.io/org/tool:1" },
             new SetTag("org/tool:1", b.Metadata.ConfigDigest) { Reference = "ghcr.io/org/tool:1" }],
            null,
            Ct);

        Assert.Equal(2, result.Failed.Count);
        var error = Assert.IsType<TagPathCollisionException>(result.Failed[0].Error);
        Assert.Contains("docker.io/org/tool:1", error.Message, StringComparison.Ordinal);
        Assert.Contains("ghcr.io/org/tool:1", error.Message, StringComparison.Ordinal);
        Assert.Contains("org/tool:1", error.Collision!.TagPath, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(test.TreeRoot, "org", "tool:1")));
        Assert.Empty((await repository.ReadStateAsync(Ct)).Tags);
    }

    [Theory]
    [MemberData(nameof(TestRepository.Kinds), MemberType = typeof(TestRepository))]
    public async Task A_bad_change_fails_alone_and_the_rest_of_its_transaction_is_published(string kind)
    {
        using var test = new TestRepository(kind);
        var repository = test.Open();
        var good = TestImages.Stage(repository, "good");
        var missing = TestImages.Digest("never-added");

        RepositoryChange[] changes =
            [good,
             new SetTag("org/missing:1", missing),                       // fails while applying: aborts, the rest retried
             new SetTag("../outside:1", good.Metadata.ConfigDigest),     // refused before anything is written
             new SetTag(".images/ab/x:1", good.Metadata.ConfigDigest),
             new SetTag("org/good:1", good.Metadata.ConfigDigest)];
        var progress = new List<PublishProgress>();
        var result = await repository.ApplyAsync(changes, new SynchronousProgress(progress), Ct);

        // One outcome per change, in the order given; progress only counts outcomes that are final (never goes back).
        Assert.Equal(changes, result.Outcomes.Select(o => o.Change));
        Assert.Equal([true, false, false, false, true], result.Outcomes.Select(o => o.Applied));
        Assert.Equal([1, 2, 3, 4, 5], progress.Select(p => p.Done));
        Assert.All(progress, p => Assert.Equal(5, p.Total));
        Assert.Equal(3, result.Failed.Count);
        var notPublished = Assert.IsType<ImageNotPublishedException>(result.Failed.Single(f => f.Error is ImageNotPublishedException).Error);
        Assert.Equal(missing, notPublished.ConfigDigest);
        Assert.Contains(result.Failed, f => f.Error is InvalidTagPathException { TagPath: "../outside:1" });
        Assert.Contains(result.Failed, f => f.Error is InvalidTagPathException { TagPath: ".images/ab/x:1" });
        Assert.Equal(2, result.Applied.Count);
        var state = await repository.ReadStateAsync(Ct);
        Assert.Equal(["org/good:1"], state.Tags.Keys);
        Assert.False(File.Exists(Path.Combine(Path.GetDirectoryName(test.TreeRoot)!, "outside:1")));
    }

    [Fact]
    public async Task Batches_transactions_by_bytes_and_cuts_a_transaction_that_ran_too_long()
    {
        using var test = new TestRepository(TestRepository.Directory);
        var clock = new ManualTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));

        // Each test image declares 100 bytes: at most 250 bytes per transaction gives transactions of 2, 2 and 1 images.
        {
            var bySize = test.Open(clock, o => o.MaxBytesPerTransaction = 250);
            Assert.Equal(3, await CountCommitsAsync(bySize, "size", 5, null));
            Assert.Equal(5, (await bySize.ReadStateAsync(Ct)).Tags.Count);
        }

        // Every image takes 31 minutes against a 30-minute bound: after each image the rest goes to a new transaction.
        var byTime = test.Open(clock, o => o.MaxTransactionTime = TimeSpan.FromMinutes(30));
        Assert.Equal(4, await CountCommitsAsync(byTime, "time", 3, () => clock.Advance(TimeSpan.FromMinutes(31))));
        var state = await byTime.ReadStateAsync(Ct);
        Assert.Equal(8, state.Tags.Count);
        foreach (var (tag, digest) in state.Tags)
        {
            Assert.True(state.Images.ContainsKey(digest), $"{tag} points at {digest}, which is not published");
        }
    }

    private static async Task<int> CountCommitsAsync(CvmfsRepository repository, string name, int images, Action? onImageAdded)
    {
        var changes = new List<RepositoryChange>();
        for (var i = 0; i < images; i++)
        {
            var add = TestImages.Stage(repository, $"{name}-{i}");
            changes.Add(add);
            changes.Add(new SetTag($"{name}/img:{i}", add.Metadata.ConfigDigest));
        }

        var commits = 0;
        repository.TestHook = (point, _) =>
        {
            commits += point == "before-commit" ? 1 : 0;
            if (point == "image-added")
            {
                onImageAdded?.Invoke();
            }

            return Task.CompletedTask;
        };
        var result = await repository.ApplyAsync(changes, null, Ct);
        repository.TestHook = null;
        Assert.Empty(result.Failed);
        return commits;
    }

    [Theory]
    [MemberData(nameof(TestRepository.Kinds), MemberType = typeof(TestRepository))]
    public async Task Batches_transactions_by_image_count_and_republishing_an_image_only_adds_its_sources(string kind)
    {
        using var test = new TestRepository(kind);
        var repository = test.Open(configure: o => o.MaxImagesPerTransaction = 2);
        var changes = new List<RepositoryChange>();
        for (var i = 0; i < 5; i++)
        {
            var add = TestImages.Stage(repository, $"batch-{i}");
            changes.Add(add);
            changes.Add(new SetTag($"batch/img:{i}", add.Metadata.ConfigDigest));
        }

        var progress = new List<PublishProgress>();
        var commits = 0;
        repository.TestHook = (point, _) =>
        {
            commits += point == "before-commit" ? 1 : 0;
            return Task.CompletedTask;
        };
        var result = await repository.ApplyAsync(changes, new SynchronousProgress(progress), Ct);
        repository.TestHook = null;

        Assert.Empty(result.Failed);
        Assert.Equal(3, commits); // MaxImagesPerTransaction = 2: transactions of 2, 2 and 1 images
        Assert.Equal(10, progress.Count);
        Assert.Equal(10, progress[^1].Done);
        Assert.Equal(5, (await repository.ReadStateAsync(Ct)).Tags.Count);

        var again = TestImages.Stage(repository, "batch-0") with
        {
            Metadata = TestImages.Metadata("batch-0") with { Sources = ["quay.io/org/batch:0"] },
        };
        Assert.Empty((await repository.ApplyAsync([again], null, Ct)).Failed);
        var metadata = (await repository.ReadStateAsync(Ct)).Images[again.Metadata.ConfigDigest];
        Assert.Equal(["docker.io/library/batch-0:latest", "quay.io/org/batch:0"], metadata.Sources);
        Assert.False(Directory.Exists(again.StagedTree));
    }

    [Fact]
    public async Task Refuses_a_staged_tree_that_is_not_from_the_staging_directory()
    {
        using var test = new TestRepository(TestRepository.Directory);
        var repository = test.Open();
        var elsewhere = Directory.CreateTempSubdirectory("not-staging").FullName;
        try
        {
            var result = await repository.ApplyAsync([new AddImage(TestImages.Metadata("x"), elsewhere)], null, Ct);
            var error = Assert.IsType<ArgumentException>(Assert.Single(result.Failed).Error);
            Assert.Contains(elsewhere, error.Message, StringComparison.Ordinal);
            Assert.True(Directory.Exists(elsewhere), "a tree the publisher did not hand out is never deleted");
        }
        finally
        {
            Directory.Delete(elsewhere, recursive: true);
        }
    }

    [Fact]
    public async Task Refuses_to_write_a_tag_through_a_symlinked_directory()
    {
        using var test = new TestRepository(TestRepository.Directory);
        var repository = test.Open();
        var add = TestImages.Stage(repository, "base");
        Assert.Empty((await repository.ApplyAsync([add, new SetTag("org/base:1", add.Metadata.ConfigDigest)], null, Ct)).Failed);

        // "org/base:1" is a symlink into the image: a tag under it would write inside the image.
        var result = await repository.ApplyAsync([new SetTag("org/base:1/evil:1", add.Metadata.ConfigDigest)], null, Ct);

        Assert.Contains("not a directory", Assert.Single(result.Failed).Error.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(test.TreeRoot, RepositoryLayout.ImageDirectory(add.Metadata.ConfigDigest), "evil:1")));
    }

    private sealed class SynchronousProgress(List<PublishProgress> seen) : IProgress<PublishProgress>
    {
        public void Report(PublishProgress value) => seen.Add(value);
    }
}
