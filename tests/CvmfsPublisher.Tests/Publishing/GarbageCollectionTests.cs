using Xunit;
using CvmfsImages.Publisher.Publishing;
using CvmfsImages.TestSupport;

namespace CvmfsImages.Tests.CvmfsPublisher.Publishing;

public sealed class GarbageCollectionTests
{
    private static readonly DateTimeOffset Start = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [MemberData(nameof(TestRepository.Kinds), MemberType = typeof(TestRepository))]
    public async Task Removes_an_unreferenced_image_only_after_the_grace_period_counted_from_when_it_lost_its_last_tag(string kind)
    {
        using var test = new TestRepository(kind);
        var clock = new ManualTimeProvider(Start);
        var repository = test.Open(clock);
        Assert.Equal(TimeSpan.FromDays(2), test.Options().GcGracePeriod);
        var old = TestImages.Stage(repository, "gc-old");
        var kept = TestImages.Stage(repository, "gc-kept");
        Assert.Empty((await repository.ApplyAsync(
            [old, kept, new SetTag("org/app:1", old.Metadata.ConfigDigest), new SetTag("org/app:2", kept.Metadata.ConfigDigest)], null, Ct)).Failed);

        // A week later the tag moves: the grace period starts now, not at publish time.
        clock.Advance(TimeSpan.FromDays(7));
        Assert.Empty((await repository.ApplyAsync([new SetTag("org/app:1", kept.Metadata.ConfigDigest)], null, Ct)).Failed);
        var oldDigest = old.Metadata.ConfigDigest;

        clock.Advance(TimeSpan.FromDays(1));
        var early = await repository.CollectGarbageAsync(dryRun: false, Ct);
        Assert.Empty(early.Removed);
        Assert.Equal([oldDigest], early.Waiting);
        Assert.True(Directory.Exists(Path.Combine(test.TreeRoot, RepositoryLayout.ImageDirectory(oldDigest))));

        clock.Advance(TimeSpan.FromDays(1) + TimeSpan.FromMinutes(1));
        var dry = await repository.CollectGarbageAsync(dryRun: true, Ct);
        Assert.True(dry.DryRun);
        Assert.Equal([oldDigest], dry.Removed);
        Assert.True(Directory.Exists(Path.Combine(test.TreeRoot, RepositoryLayout.ImageDirectory(oldDigest))), "a dry run removes nothing");

        var collected = await repository.CollectGarbageAsync(dryRun: false, Ct);
        Assert.Equal([oldDigest], collected.Removed);
        Assert.Empty(collected.Failed);
        Assert.False(Directory.Exists(Path.Combine(test.TreeRoot, RepositoryLayout.ImageDirectory(oldDigest))));
        Assert.False(File.Exists(Path.Combine(test.TreeRoot, RepositoryLayout.MetadataFile(oldDigest))));
        var state = await repository.ReadStateAsync(Ct);
        Assert.Equal([kept.Metadata.ConfigDigest], state.Images.Keys);
        TestImages.AssertComplete(Path.Combine(test.TreeRoot, "org", "app:1"), "gc-kept");
        Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Combine(test.TreeRoot, RepositoryLayout.ImagesDirectory), ".trash*"));
    }

    [Theory]
    [MemberData(nameof(TestRepository.Kinds), MemberType = typeof(TestRepository))]
    public async Task Marks_images_it_finds_unreferenced_and_clears_the_mark_when_a_tag_returns(string kind)
    {
        using var test = new TestRepository(kind);
        var clock = new ManualTimeProvider(Start);
        var repository = test.Open(clock);
        var orphan = TestImages.Stage(repository, "never-tagged");
        Assert.Empty((await repository.ApplyAsync([orphan], null, Ct)).Failed);

        var first = await repository.CollectGarbageAsync(dryRun: false, Ct);
        Assert.Equal([orphan.Metadata.ConfigDigest], first.MarkedUnreferenced);
        Assert.Equal(Start, (await repository.ReadStateAsync(Ct)).Images[orphan.Metadata.ConfigDigest].UnreferencedSince);

        clock.Advance(TimeSpan.FromDays(1));
        Assert.Empty((await repository.ApplyAsync([new SetTag("org/late:1", orphan.Metadata.ConfigDigest)], null, Ct)).Failed);
        Assert.Null((await repository.ReadStateAsync(Ct)).Images[orphan.Metadata.ConfigDigest].UnreferencedSince);

        clock.Advance(TimeSpan.FromDays(30));
        var later = await repository.CollectGarbageAsync(dryRun: false, Ct);
        Assert.Empty(later.Removed);
        Assert.Empty(later.MarkedUnreferenced);
    }

    [Fact]
    public async Task One_failed_removal_does_not_stop_the_others_and_batches_are_bounded()
    {
        using var test = new TestRepository(TestRepository.Ingest);
        var clock = new ManualTimeProvider(Start);
        var repository = test.Open(clock, o => o.GcBatchSize = 2);
        var adds = Enumerable.Range(0, 4).Select(i => TestImages.Stage(repository, $"bulk-{i}")).ToList();
        Assert.Empty((await repository.ApplyAsync(adds, null, Ct)).Failed);
        await repository.CollectGarbageAsync(dryRun: false, Ct); // marks all four
        clock.Advance(TimeSpan.FromDays(3));
        var stuck = adds[1].Metadata.ConfigDigest;
        test.InjectFailure("ingest-delete", RepositoryLayout.DigestHex(stuck)[2..]);

        var commits = 0;
        repository.TestHook = (point, _) =>
        {
            commits += point == "before-commit" ? 1 : 0;
            return Task.CompletedTask;
        };
        var result = await repository.CollectGarbageAsync(dryRun: false, Ct);
        repository.TestHook = null;

        Assert.Equal(2, commits); // GcBatchSize = 2: four due images in two transactions
        var (digest, error) = Assert.Single(result.Failed);
        Assert.Equal(stuck, digest);
        Assert.Contains("injected failure", Assert.IsType<CvmfsServerException>(error).Message, StringComparison.Ordinal);
        Assert.Equal(3, result.Removed.Count);
        var state = await repository.ReadStateAsync(Ct);
        Assert.Equal([stuck], state.Images.Keys);

        test.InjectFailure(null);
        Assert.Equal([stuck], (await repository.CollectGarbageAsync(dryRun: false, Ct)).Removed);
    }

    [Fact]
    public async Task A_failed_publish_of_a_collection_keeps_every_image_of_its_transaction()
    {
        using var test = new TestRepository(TestRepository.Cvmfs);
        var clock = new ManualTimeProvider(Start);
        var repository = test.Open(clock);
        var orphan = TestImages.Stage(repository, "gc-publish-fails");
        Assert.Empty((await repository.ApplyAsync([orphan], null, Ct)).Failed);
        await repository.CollectGarbageAsync(dryRun: false, Ct); // marks it
        clock.Advance(TimeSpan.FromDays(3));
        test.InjectFailure("publish");

        var result = await repository.CollectGarbageAsync(dryRun: false, Ct);

        Assert.Empty(result.Removed);
        var (digest, error) = Assert.Single(result.Failed);
        Assert.Equal(orphan.Metadata.ConfigDigest, digest);
        Assert.Contains("cvmfs_server publish: injected failure", Assert.IsType<TransactionAbortedException>(error).Message, StringComparison.Ordinal);
        TestImages.AssertComplete(Path.Combine(test.TreeRoot, RepositoryLayout.ImageDirectory(digest)), "gc-publish-fails");
        Assert.True((await repository.ReadStateAsync(Ct)).Images.ContainsKey(digest));
        Assert.Contains("is not in a transaction", test.RunStandIn("abort", "-f", TestRepository.RepositoryName).StandardError, StringComparison.Ordinal);

        test.InjectFailure(null);
        Assert.Equal([digest], (await repository.CollectGarbageAsync(dryRun: false, Ct)).Removed);
    }
}
