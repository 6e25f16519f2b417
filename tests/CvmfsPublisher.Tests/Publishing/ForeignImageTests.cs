using System.Text.Json;
using CvmfsImages.Publisher.Publishing;
using CvmfsImages.Registry;
using CvmfsImages.TestSupport;
using CvmfsImages.TestSupport.Images;
using CvmfsImages.TestSupport.Osg;
using Xunit;

namespace CvmfsImages.Tests.CvmfsPublisher.Publishing;

/// <summary>
/// A repository OSG's cvmfs-singularity-sync built (TestSupport's <see cref="OsgRepository"/>: its hash rule, absolute
/// links, <c>.missing_links.json</c>) read, collected and adopted by the publisher, in every backend.
/// </summary>
public sealed class ForeignImageTests
{
    private static readonly DateTimeOffset Start = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [MemberData(nameof(TestRepository.Kinds), MemberType = typeof(TestRepository))]
    public async Task Osgs_absolute_links_are_tags_and_its_directories_foreign_images(string kind)
    {
        using var test = new TestRepository(kind);
        OsgImage single = null!, multi = null!, unlinked = null!;
        await BuildAsync(test, async osg =>
        {
            single = await osg.AddImageAsync(Image("single"), "osg/single:1", cancellationToken: Ct);
            multi = await osg.AddImageAsync(MultiPlatform("multi"), "osg/multi:1", cancellationToken: Ct);
            unlinked = await osg.AddUnlinkedImageAsync(Image("unlinked"), cancellationToken: Ct);
            osg.LinkTag("osg/unlisted:old", single);
            File.CreateSymbolicLink(Path.Combine(test.TreeRoot, "osg/elsewhere:1"), "/cvmfs/another.repo.org/.images/ab/" + new string('c', 62));
        });
        var repository = test.Open(new ManualTimeProvider(Start));

        var state = await repository.ReadStateAsync(Ct);

        var singleKey = "sha256:" + single.Hash;
        var multiKey = RepositoryLayout.IndexKeyPrefix + multi.Hash;
        Assert.StartsWith(".images/sha256:", multi.RelativeDirectory, StringComparison.Ordinal);
        Assert.Equal(new Dictionary<string, string> { ["osg/single:1"] = singleKey, ["osg/multi:1"] = multiKey, ["osg/unlisted:old"] = singleKey }, state.Tags);
        Assert.Empty(state.Images);
        Assert.Equal(new[] { multiKey, singleKey, "sha256:" + unlinked.Hash }.Order(StringComparer.Ordinal), state.Foreign.Keys.Order(StringComparer.Ordinal));
        Assert.True(state.Foreign[singleKey].Referenced);
        Assert.Equal(multi.RelativeDirectory, state.Foreign[multiKey].Directory);
        Assert.False(state.Foreign["sha256:" + unlinked.Hash].Referenced);
        Assert.Null(state.Foreign["sha256:" + unlinked.Hash].UnreferencedSince);
    }

    [Theory]
    [MemberData(nameof(TestRepository.Kinds), MemberType = typeof(TestRepository))]
    public async Task Gc_counts_a_foreign_directorys_grace_period_from_osgs_clock_or_from_when_it_first_saw_it(string kind)
    {
        using var test = new TestRepository(kind);
        OsgImage linked = null!, linkedMulti = null!, recent = null!, old = null!, unseen = null!;
        var osg = await BuildAsync(test, async osg =>
        {
            linked = await osg.AddImageAsync(Image("linked"), "osg/app:1", cancellationToken: Ct);
            linkedMulti = await osg.AddImageAsync(MultiPlatform("linked-multi"), "osg/multi:1", cancellationToken: Ct);
            recent = await osg.AddUnlinkedImageAsync(Image("recent"), cancellationToken: Ct);
            old = await osg.AddUnlinkedImageAsync(Image("old"), cancellationToken: Ct);
            unseen = await osg.AddUnlinkedImageAsync(Image("unseen"), cancellationToken: Ct);
            osg.AddMissingLink(recent, Start - TimeSpan.FromHours(1));
            osg.AddMissingLink(old, Start - TimeSpan.FromDays(3));
            osg.AddMissingLink(linked, Start - TimeSpan.FromDays(5));              // linked again since: the entry is stale
            osg.AddMissingLink(osg.MountPath + "/.images/ab/" + new string('0', 62), Start - TimeSpan.FromDays(9)); // removed by hand
            osg.AddMissingLink("/somewhere/else", Start - TimeSpan.FromDays(9));  // not this repository's: left alone
        });
        var clock = new ManualTimeProvider(Start);
        var repository = test.Open(clock);

        var dry = await repository.CollectGarbageAsync(dryRun: true, Ct);
        Assert.Equal(["sha256:" + old.Hash], dry.Removed);
        Assert.True(Directory.Exists(old.LocalDirectory), "a dry run removes nothing");

        var first = await repository.CollectGarbageAsync(dryRun: false, Ct);

        Assert.Equal(["sha256:" + old.Hash], first.Removed);
        Assert.Equal(["sha256:" + unseen.Hash], first.MarkedUnreferenced);
        Assert.Equal(new[] { "sha256:" + recent.Hash, "sha256:" + unseen.Hash }.Order(StringComparer.Ordinal), first.Waiting.Order(StringComparer.Ordinal));
        Assert.False(Directory.Exists(old.LocalDirectory));
        foreach (var kept in new[] { linked, linkedMulti, recent, unseen })
        {
            Assert.True(Directory.Exists(kept.LocalDirectory), kept.RelativeDirectory);
        }

        // .missing_links.json stays true: the removed, the relinked and the vanished are out; the newly seen is in;
        // the entry outside the repository is as it was; the format is json.dump's.
        Assert.Equal(
            OsgRepository.MissingLinksJson([
                new(recent.LinkTarget, (Start - TimeSpan.FromHours(1)).ToUnixTimeSeconds()),
                new("/somewhere/else", (Start - TimeSpan.FromDays(9)).ToUnixTimeSeconds()),
                new(unseen.LinkTarget, Start.ToUnixTimeSeconds()),
            ]),
            File.ReadAllText(osg.MissingLinksFile));
        AssertNoDanglingLink(test.TreeRoot);

        // Inside their grace periods nothing more goes; after them, both.
        clock.Advance(TimeSpan.FromDays(2) - TimeSpan.FromMinutes(61));
        Assert.Empty((await repository.CollectGarbageAsync(dryRun: false, Ct)).Removed);
        clock.Advance(TimeSpan.FromMinutes(2));
        Assert.Equal(["sha256:" + recent.Hash], (await repository.CollectGarbageAsync(dryRun: false, Ct)).Removed);
        clock.Advance(TimeSpan.FromHours(1));
        Assert.Equal(["sha256:" + unseen.Hash], (await repository.CollectGarbageAsync(dryRun: false, Ct)).Removed);
        Assert.Equal(OsgRepository.MissingLinksJson([new("/somewhere/else", (Start - TimeSpan.FromDays(9)).ToUnixTimeSeconds())]), File.ReadAllText(osg.MissingLinksFile));
        Assert.True(Directory.Exists(linked.LocalDirectory));
        Assert.True(Directory.Exists(linkedMulti.LocalDirectory));
        AssertNoDanglingLink(test.TreeRoot);
    }

    [Theory]
    [MemberData(nameof(TestRepository.Kinds), MemberType = typeof(TestRepository))]
    public async Task Without_osgs_clock_the_first_sighting_is_recorded_in_the_repository_and_survives_a_restart(string kind)
    {
        using var test = new TestRepository(kind);
        OsgImage orphan = null!;
        var osg = await BuildAsync(test, async osg => orphan = await osg.AddUnlinkedImageAsync(Image("orphan"), cancellationToken: Ct));
        var clock = new ManualTimeProvider(Start);
        {
            var repository = test.Open(clock);
            Assert.Equal(["sha256:" + orphan.Hash], (await repository.CollectGarbageAsync(dryRun: false, Ct)).MarkedUnreferenced);
        }

        Assert.False(File.Exists(osg.MissingLinksFile), "OSG's file is not created when it is not there");
        using (var record = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(test.TreeRoot, ".images/.foreign.json"))))
        {
            Assert.Equal(Start, record.RootElement.GetProperty("unreferencedSince").GetProperty("sha256:" + orphan.Hash).GetDateTimeOffset());
        }

        clock.Advance(TimeSpan.FromDays(2) - TimeSpan.FromSeconds(1));
        {
            var restarted = test.Open(clock);
            var early = await restarted.CollectGarbageAsync(dryRun: false, Ct);
            Assert.Empty(early.Removed);
            Assert.Empty(early.MarkedUnreferenced);
            Assert.Equal(Start, (await restarted.ReadStateAsync(Ct)).Foreign["sha256:" + orphan.Hash].UnreferencedSince);
            clock.Advance(TimeSpan.FromSeconds(1));
            Assert.Equal(["sha256:" + orphan.Hash], (await restarted.CollectGarbageAsync(dryRun: false, Ct)).Removed);
        }

        Assert.False(File.Exists(Path.Combine(test.TreeRoot, ".images/.foreign.json")), "the record goes with the last foreign image it names");
    }

    [Theory]
    [MemberData(nameof(TestRepository.Kinds), MemberType = typeof(TestRepository))]
    public async Task GcBatchSize_bounds_the_removal_of_foreign_directories(string kind)
    {
        using var test = new TestRepository(kind);
        var osg = await BuildAsync(test, async osg =>
        {
            for (var i = 0; i < 3; i++)
            {
                osg.AddMissingLink(await osg.AddUnlinkedImageAsync(Image($"batch-{i}"), cancellationToken: Ct), Start - TimeSpan.FromDays(3));
            }
        });

        var repository = test.Open(new ManualTimeProvider(Start), o => o.GcBatchSize = 2);
        var commits = 0;
        repository.TestHook = (point, _) =>
        {
            commits += point == "before-commit" ? 1 : 0;
            return Task.CompletedTask;
        };

        var result = await repository.CollectGarbageAsync(dryRun: false, Ct);

        Assert.Equal(3, result.Removed.Count);
        Assert.Equal(2, commits);
        Assert.Equal("""{"missing_links": {}}""", File.ReadAllText(osg.MissingLinksFile));
    }

    [Theory]
    [MemberData(nameof(TestRepository.Kinds), MemberType = typeof(TestRepository))]
    public async Task A_missing_links_file_that_is_not_osgs_is_neither_trusted_nor_rewritten(string kind)
    {
        using var test = new TestRepository(kind);
        OsgImage orphan = null!;
        var osg = await BuildAsync(test, async osg => orphan = await osg.AddUnlinkedImageAsync(Image("hostile-clock"), cancellationToken: Ct));
        foreach (var hostile in new[] { "[1, 2]", """{"missing_links": {"x": "yesterday"}}""", "{\"missing_links\": {\"" + orphan.LinkTarget + "\": -5}}", "\u0000garbage" })
        {
            await BuildAsync(test, _ =>
            {
                File.WriteAllText(osg.MissingLinksFile, hostile);
                return Task.CompletedTask;
            });
            var repository = test.Open(new ManualTimeProvider(Start + TimeSpan.FromDays(30)));
            var result = await repository.CollectGarbageAsync(dryRun: false, Ct);
            Assert.Empty(result.Removed);
            Assert.True(Directory.Exists(orphan.LocalDirectory), hostile);
            Assert.Equal(hostile, File.ReadAllText(osg.MissingLinksFile));
        }
    }

    [Theory]
    [MemberData(nameof(TestRepository.Kinds), MemberType = typeof(TestRepository))]
    public async Task An_adopted_directory_keeps_its_path_gets_metadata_and_then_ages_like_ours(string kind)
    {
        using var test = new TestRepository(kind);
        var image = Image("adopt");
        OsgImage dir = null!;
        await BuildAsync(test, async osg => dir = await osg.AddImageAsync(image, "osg/app:1", cancellationToken: Ct));
        var inode = TestImages.Inode(dir.LocalDirectory);
        var clock = new ManualTimeProvider(Start);
        var repository = test.Open(clock);
        var key = "sha256:" + dir.Hash;
        var metadata = new ImageMetadata
        {
            ConfigDigest = image.ConfigDigest.ToString(),
            ManifestDigest = image.Digest.ToString(),
            SourceDigests = [image.Digest.ToString()],
            Sources = ["127.0.0.1:5000/osg/app:1"],
            Platform = "linux/amd64",
            AdoptedFrom = dir.RelativeDirectory,
        };

        var result = await repository.ApplyAsync([new AdoptImage(metadata), new SetTag("osg/app:2", key)], null, Ct);

        Assert.Empty(result.Failed);
        var state = await repository.ReadStateAsync(Ct);
        var adopted = state.Images[key];
        Assert.Equal(metadata.ConfigDigest, adopted.ConfigDigest);
        Assert.Equal(dir.RelativeDirectory, adopted.AdoptedFrom);
        Assert.Equal(Start, adopted.PublishedAt);
        Assert.Equal(Count(dir.LocalDirectory), (adopted.Files, adopted.Size));
        Assert.True(adopted.Size > 0 && adopted.Files > 5);
        Assert.Empty(state.Foreign);
        Assert.Equal(inode, TestImages.Inode(dir.LocalDirectory)); // the same directory, not a copy
        Assert.True(File.Exists(Path.Combine(test.TreeRoot, dir.RelativeDirectory + ".json")));
        Assert.Equal(dir.LinkTarget, new FileInfo(Path.Combine(test.TreeRoot, "osg/app:1")).LinkTarget); // OSG's link untouched
        Assert.Equal("../" + dir.RelativeDirectory, new FileInfo(Path.Combine(test.TreeRoot, "osg/app:2")).LinkTarget);

        // Adopting again for the same config adds sources only; for another config it is refused.
        Assert.Empty((await repository.ApplyAsync([new AdoptImage(metadata with { Sources = ["127.0.0.1:5000/osg/app:2"] })], null, Ct)).Failed);
        Assert.Equal(["127.0.0.1:5000/osg/app:1", "127.0.0.1:5000/osg/app:2"], (await repository.ReadStateAsync(Ct)).Images[key].Sources);
        var refused = Assert.Single((await repository.ApplyAsync([new AdoptImage(metadata with { ConfigDigest = TestImages.Digest("other") })], null, Ct)).Failed);
        Assert.Contains("already published as", refused.Error.Message, StringComparison.Ordinal);

        // Its tags removed, it ages like an image of ours.
        Assert.Empty((await repository.ApplyAsync([new RemoveTag("osg/app:1"), new RemoveTag("osg/app:2")], null, Ct)).Failed);
        Assert.Equal(Start, (await repository.ReadStateAsync(Ct)).Images[key].UnreferencedSince);
        clock.Advance(TimeSpan.FromDays(2));
        Assert.Equal([key], (await repository.CollectGarbageAsync(dryRun: false, Ct)).Removed);
        Assert.False(Directory.Exists(dir.LocalDirectory));
    }

    [Theory]
    [MemberData(nameof(TestRepository.Kinds), MemberType = typeof(TestRepository))]
    public async Task A_tag_moved_off_a_foreign_directory_starts_its_clock_in_that_transaction(string kind)
    {
        using var test = new TestRepository(kind);
        OsgImage dir = null!;
        var osg = await BuildAsync(test, async osg =>
        {
            dir = await osg.AddImageAsync(Image("moved-off"), "osg/app:1", cancellationToken: Ct);
            osg.AddMissingLink(osg.MountPath + "/.images/ff/" + new string('f', 62), Start);
        });
        var clock = new ManualTimeProvider(Start + TimeSpan.FromHours(5));
        var repository = test.Open(clock);
        var ours = TestImages.Stage(repository, "replacement");

        Assert.Empty((await repository.ApplyAsync([ours, new SetTag("osg/app:1", ours.Metadata.ConfigDigest)], null, Ct)).Failed);

        var state = await repository.ReadStateAsync(Ct);
        Assert.Equal(Start + TimeSpan.FromHours(5), state.Foreign["sha256:" + dir.Hash].UnreferencedSince);
        Assert.Equal(OsgRepository.MissingLinksJson([new(dir.LinkTarget, (Start + TimeSpan.FromHours(5)).ToUnixTimeSeconds())]), File.ReadAllText(osg.MissingLinksFile));
        AssertNoDanglingLink(test.TreeRoot);
    }

    [Fact]
    public async Task A_copy_read_without_its_mount_path_keeps_every_directory_its_links_name()
    {
        // A directory-backend copy of OSG's repository whose links still say /cvmfs/<repo>, Publisher:MountPath not set.
        using var test = new TestRepository(TestRepository.Directory);
        var osg = new OsgRepository(test.TreeRoot, "/cvmfs/singularity.opensciencegrid.org");
        var linked = await osg.AddImageAsync(Image("copy-linked"), "osg/app:1", cancellationToken: Ct);
        var unlinked = await osg.AddUnlinkedImageAsync(Image("copy-unlinked"), cancellationToken: Ct);
        osg.AddMissingLink(unlinked, Start - TimeSpan.FromDays(30));
        {
            var misconfigured = test.Open(new ManualTimeProvider(Start + TimeSpan.FromDays(30)));
            Assert.Empty((await misconfigured.ReadStateAsync(Ct)).Tags);
            var result = await misconfigured.CollectGarbageAsync(dryRun: false, Ct);

            // The linked one is kept for its link; OSG's clock names other paths, so it is not trusted: the clock starts now.
            Assert.Empty(result.Removed);
            Assert.Equal(["sha256:" + unlinked.Hash], result.MarkedUnreferenced);
            Assert.True(Directory.Exists(linked.LocalDirectory));
            Assert.True(Directory.Exists(unlinked.LocalDirectory));
        }

        var configured = test.Open(new ManualTimeProvider(Start + TimeSpan.FromDays(30)), o => o.MountPath = "/cvmfs/singularity.opensciencegrid.org");
        Assert.Equal("sha256:" + linked.Hash, (await configured.ReadStateAsync(Ct)).Tags["osg/app:1"]);
    }

    [Theory]
    [MemberData(nameof(TestRepository.Kinds), MemberType = typeof(TestRepository))]
    public async Task Absolute_tag_links_name_the_mount_path(string kind)
    {
        using var test = new TestRepository(kind);
        var repository = test.Open(configure: o =>
        {
            o.TagLinks = TagLinks.Absolute;
            o.MountPath = "/cvmfs/images.test.org/";
        });
        var add = TestImages.Stage(repository, "absolute");

        Assert.Empty((await repository.ApplyAsync([add, new SetTag("org/app:1", add.Metadata.ConfigDigest)], null, Ct)).Failed);

        Assert.Equal("/cvmfs/images.test.org/" + RepositoryLayout.ImageDirectory(add.Metadata.ConfigDigest), new FileInfo(Path.Combine(test.TreeRoot, "org/app:1")).LinkTarget);
        Assert.Equal(add.Metadata.ConfigDigest, (await repository.ReadStateAsync(Ct)).Tags["org/app:1"]);
    }

    [Fact]
    public void Mount_path_and_tag_links_are_validated()
    {
        using var test = new TestRepository(TestRepository.Directory);
        Assert.Contains("Publisher:MountPath", Assert.Throws<ArgumentException>(() => test.Options(o => o.MountPath = "cvmfs/x").Validate()).Message, StringComparison.Ordinal);
        Assert.Contains("Publisher:MountPath", Assert.Throws<ArgumentException>(() => test.Options(o => o.MountPath = "/").Validate()).Message, StringComparison.Ordinal);
        Assert.Contains("Publisher:TagLinks", Assert.Throws<ArgumentException>(() => test.Options(o => o.TagLinks = (TagLinks)7).Validate()).Message, StringComparison.Ordinal);
    }

    /// <summary>Every symlink outside <c>.images</c> (tags) resolves to a directory; links are not followed while walking.</summary>
    internal static void AssertNoDanglingLink(string root)
    {
        foreach (var entry in new DirectoryInfo(root).EnumerateFileSystemInfos())
        {
            if (entry.Name is ".images" or ".staging")
            {
                continue;
            }

            if (entry.LinkTarget is { } target)
            {
                Assert.True(target.StartsWith("/cvmfs/another", StringComparison.Ordinal) || Directory.Exists(entry.FullName), $"'{entry.FullName}' -> '{target}' dangles");
            }
            else if (entry is DirectoryInfo)
            {
                AssertNoDanglingLink(entry.FullName);
            }
        }
    }

    /// <summary>Entries and regular-file bytes below <paramref name="root"/>, links not followed.</summary>
    private static (long Entries, long Bytes) Count(string root)
    {
        long entries = 0, bytes = 0;
        foreach (var entry in new DirectoryInfo(root).EnumerateFileSystemInfos())
        {
            entries++;
            if (entry.LinkTarget is not null)
            {
                continue;
            }

            if (entry is DirectoryInfo)
            {
                var (e, b) = Count(entry.FullName);
                entries += e;
                bytes += b;
            }
            else
            {
                bytes += ((FileInfo)entry).Length;
            }
        }

        return (entries, bytes);
    }

    /// <summary>Builds OSG's layout in the tree: inside a stand-in transaction for the cvmfs_server kinds (the tree is read-only outside one).</summary>
    private static async Task<OsgRepository> BuildAsync(TestRepository test, Func<OsgRepository, Task> build)
    {
        if (test.Kind != TestRepository.Directory)
        {
            test.RunStandIn("transaction", TestRepository.RepositoryName).AssertSuccess();
        }

        var osg = new OsgRepository(test.TreeRoot);
        await build(osg);
        if (test.Kind != TestRepository.Directory)
        {
            test.RunStandIn("publish", TestRepository.RepositoryName).AssertSuccess();
        }

        return osg;
    }

    private static BuiltImage Image(string seed) =>
        TestImage.Create().WithLayer(TestFile.Dir("etc"), TestFile.Text("etc/seed", seed + "\n")).WithLayer(TestFile.Text("etc/two", seed)).Build();

    private static BuiltImage MultiPlatform(string seed) =>
        TestImage.Create().WithLayer(TestFile.Text("etc/seed", seed + "\n")).WithPlatforms(Platform.LinuxAmd64, Platform.Parse("linux/arm64/v8")).Build();
}
