using CvmfsImages.Publisher.Native;
using System.Formats.Tar;
using CvmfsImages.Publisher.Publishing;
using CvmfsImages.TestSupport;
using Xunit;

namespace CvmfsImages.Tests.CvmfsPublisher.Publishing;

/// <summary>
/// Rules of the real <c>cvmfs_server</c> 2.11.5 that publishing broke on a real stratum-0 (issue 22), each enforced by
/// the stand-in (its README says how each was checked against the real command), and the publisher keeping them.
/// </summary>
public sealed class RealCvmfsRulesTests
{
    private const string Repo = TestRepository.RepositoryName;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public static TheoryData<string, string> UnsafeMessages => new()
    {
        { "cvmfs-images: published 1 image(s)", "sh: 1: Syntax error: \"(\" unexpected" },
        { "a ) b", "sh: 1: Syntax error: \")\" unexpected" },
        { "it's", "Unterminated quoted string" },
        { "one; touch /tmp/x", "holds ';'" },
        { "home $HOME", "holds '$'" },
        { "`id`", "holds '`'" },
        { "all *", "holds '*'" },
        { "two\nlines", "holds '" },
        { "a & b", "holds '&'" },
        { "ok -n 3", "starts with '-'" },
    };

    [Theory]
    [MemberData(nameof(UnsafeMessages))]
    public void The_stand_in_fails_a_publish_whose_message_sh_would_misread_and_leaves_the_transaction_open(string message, string expected)
    {
        using var test = new TestRepository(TestRepository.Cvmfs);
        test.RunStandIn("transaction", Repo).AssertSuccess();
        File.WriteAllText(Path.Combine(test.TreeRoot, "probe"), "written");

        var publish = test.RunStandIn("publish", "-m", message, Repo);

        Assert.Equal(1, publish.ExitCode);
        Assert.Contains(expected, publish.StandardError, StringComparison.Ordinal);
        Assert.Contains("Synchronization failed", publish.StandardError, StringComparison.Ordinal);
        Assert.True(File.Exists(test.StandInTransactionMarker), "a failed publish leaves the transaction open");
        test.RunStandIn("abort", "-f", Repo).AssertSuccess();
        Assert.False(File.Exists(Path.Combine(test.TreeRoot, "probe")));
    }

    [Theory]
    [InlineData("cvmfs-images: added 1 image, set 2 tags, removed 0 tags")]
    [InlineData("cvmfs-images: garbage collection removed 3 images")]
    [InlineData("a.b,c:d/e@f+g=h_i-j 0123456789")]
    public void Messages_of_the_safe_alphabet_publish_and_the_publisher_accepts_them(string message)
    {
        using var test = new TestRepository(TestRepository.Cvmfs);
        test.RunStandIn("transaction", Repo).AssertSuccess();
        test.RunStandIn("publish", "-m", message, Repo).AssertSuccess();
        Assert.True(PublishMessage.IsSafe(message));
        Assert.Equal(message, PublishMessage.Require(message));
    }

    [Theory]
    [MemberData(nameof(UnsafeMessages))]
    public void The_publisher_refuses_every_message_the_stand_in_refuses(string message, string expected)
    {
        Assert.False(PublishMessage.IsSafe(message), expected);
        var error = Assert.Throws<ArgumentException>(() => PublishMessage.Require(message));
        Assert.Contains("publish message", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")]
    [InlineData("-leading")]
    [InlineData("caf\u00e9")]
    [InlineData("tab\there")]
    public void The_publisher_refuses_empty_messages_leading_dashes_and_anything_outside_ascii(string message) =>
        Assert.Throws<ArgumentException>(() => PublishMessage.Require(message));

    [Fact]
    public void Counts_are_written_without_brackets()
    {
        Assert.Equal("1 image", PublishMessage.Count(1, "image", "images"));
        Assert.Equal("0 images", PublishMessage.Count(0, "image", "images"));
        Assert.Equal("12 tags", PublishMessage.Count(12, "tag", "tags"));
    }

    [Fact]
    public void The_stand_in_fails_an_ingest_that_has_both_c_and_a_cvmfscatalog_entry_as_cvmfs_swissknife_does()
    {
        using var test = new TestRepository(TestRepository.Ingest);
        var withMarker = Tar(("hello", "hi"), (".cvmfscatalog", string.Empty));

        var both = test.RunStandIn(withMarker, "ingest", "-t", "-", "-b", "x/both", "-c", Repo);

        Assert.Equal(1, both.ExitCode);
        Assert.Contains("WritableCatalog::AddEntry", both.StandardError, StringComparison.Ordinal);
        Assert.Contains("Assertion", both.StandardError, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(test.TreeRoot, "x", "both")));
        Assert.False(File.Exists(test.StandInTransactionMarker), "a failed ingest aborts its own transaction");

        // Either one alone makes the base directory a nested catalog.
        test.RunStandIn(withMarker, "ingest", "-t", "-", "-b", "x/entry", Repo).AssertSuccess();
        Assert.True(File.Exists(Path.Combine(test.TreeRoot, "x", "entry", ".cvmfscatalog")));
        test.RunStandIn(Tar(("hello", "hi")), "ingest", "-t", "-", "-b", "x/option", "-c", Repo).AssertSuccess();
        Assert.True(File.Exists(Path.Combine(test.TreeRoot, "x", "option", ".cvmfscatalog")));
    }

    [Fact]
    public void The_stand_in_fails_an_ingest_whose_catalog_marker_is_not_a_regular_file()
    {
        using var test = new TestRepository(TestRepository.Ingest);
        var stream = new MemoryStream();
        using (var writer = new TarWriter(stream, TarEntryFormat.Pax, leaveOpen: true))
        {
            writer.WriteEntry(new PaxTarEntry(TarEntryType.Directory, "sub/"));
            writer.WriteEntry(new PaxTarEntry(TarEntryType.SymbolicLink, "sub/.cvmfscatalog") { LinkName = "/etc/passwd" });
        }

        var result = test.RunStandIn(stream.ToArray(), "ingest", "-t", "-", "-b", "x/odd", Repo);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("that however is not a regular file", result.StandardError, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(test.TreeRoot, "x", "odd")));
    }

    [Fact]
    public async Task Images_published_by_ingest_are_nested_catalogs_without_c()
    {
        using var test = new TestRepository(TestRepository.Ingest);
        var repository = test.Open();
        var add = TestImages.Stage(repository, "ingest-catalog");

        var result = await repository.ApplyAsync([add, new SetTag("org/app:1", add.Metadata.ConfigDigest)], null, Ct);

        Assert.Empty(result.Failed);
        TestImages.AssertComplete(Path.Combine(test.TreeRoot, "org", "app:1"), "ingest-catalog");
        Assert.True(File.Exists(Path.Combine(test.TreeRoot, RepositoryLayout.ImageDirectory(add.Metadata.ConfigDigest), RepositoryLayout.CatalogMarker)));
    }

    [Fact]
    public void Inside_a_transaction_a_directory_of_an_earlier_revision_cannot_be_renamed_as_on_overlayfs()
    {
        using var test = new TestRepository(TestRepository.Cvmfs);
        RequireUnionMount(test);
        var old = Path.Combine(test.TreeRoot, "old");
        test.RunStandIn("transaction", Repo).AssertSuccess();
        Directory.CreateDirectory(Path.Combine(old, "sub"));
        File.WriteAllText(Path.Combine(old, "sub", "file"), "published");
        File.WriteAllText(Path.Combine(test.TreeRoot, "old-file"), "published");
        test.RunStandIn("publish", "-m", "first", Repo).AssertSuccess();

        test.RunStandIn("transaction", Repo).AssertSuccess();
        var error = Assert.Throws<IOException>(() => Libc.RenameNoReplace(old, Path.Combine(test.TreeRoot, "moved")));
        Assert.Equal(18, error.HResult); // EXDEV
        Assert.Throws<IOException>(() => Libc.RenameNoReplace(Path.Combine(old, "sub"), Path.Combine(test.TreeRoot, "sub-moved")));

        // What overlayfs does allow: renaming a file of an earlier revision, a directory made in this transaction,
        // and deleting an earlier directory in place.
        Libc.RenameNoReplace(Path.Combine(test.TreeRoot, "old-file"), Path.Combine(test.TreeRoot, "renamed-file"));
        Directory.CreateDirectory(Path.Combine(test.TreeRoot, "new", "deep"));
        Libc.RenameNoReplace(Path.Combine(test.TreeRoot, "new"), Path.Combine(test.TreeRoot, "new-moved"));
        Directory.Delete(old, recursive: true);
        test.RunStandIn("publish", "-m", "second", Repo).AssertSuccess();

        Assert.False(Directory.Exists(old));
        Assert.Equal("published", File.ReadAllText(Path.Combine(test.TreeRoot, "renamed-file")));
        Assert.False(File.Exists(Path.Combine(test.TreeRoot, "old-file")));
        Assert.True(Directory.Exists(Path.Combine(test.TreeRoot, "new-moved", "deep")));
        Assert.ThrowsAny<Exception>(() => File.WriteAllText(Path.Combine(test.TreeRoot, "renamed-file"), "outside"));
    }

    [Fact]
    public async Task Garbage_collection_in_transaction_mode_deletes_images_of_earlier_revisions_in_place()
    {
        using var test = new TestRepository(TestRepository.Cvmfs);
        RequireUnionMount(test);
        var clock = new ManualTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        var repository = test.Open(clock, o => o.GcGracePeriod = TimeSpan.FromHours(1));
        var first = TestImages.Stage(repository, "gc-union-old");
        var second = TestImages.Stage(repository, "gc-union-new");
        Assert.Empty((await repository.ApplyAsync([first, new SetTag("org/app:1", first.Metadata.ConfigDigest)], null, Ct)).Failed);
        Assert.Empty((await repository.ApplyAsync([second, new SetTag("org/app:1", second.Metadata.ConfigDigest)], null, Ct)).Failed);
        clock.Advance(TimeSpan.FromHours(2));

        var gc = await repository.CollectGarbageAsync(dryRun: false, Ct);

        Assert.Empty(gc.Failed);
        Assert.Equal([first.Metadata.ConfigDigest], gc.Removed);
        Assert.False(Directory.Exists(Path.Combine(test.TreeRoot, RepositoryLayout.ImageDirectory(first.Metadata.ConfigDigest))));
        Assert.False(Directory.Exists(Path.Combine(test.TreeRoot, RepositoryLayout.ImagesDirectory, ".trash")));
        TestImages.AssertComplete(Path.Combine(test.TreeRoot, "org", "app:1"), "gc-union-new");
    }

    [Theory]
    [MemberData(nameof(TestRepository.CvmfsKinds), MemberType = typeof(TestRepository))]
    public async Task A_transaction_someone_else_opened_is_left_open_and_the_change_fails_naming_it(string kind)
    {
        using var test = new TestRepository(kind);
        var repository = test.Open();
        test.RunStandIn("transaction", Repo).AssertSuccess();
        var add = TestImages.Stage(repository, "someone-else");

        var result = await repository.ApplyAsync([add, new SetTag("org/app:1", add.Metadata.ConfigDigest)], null, Ct);

        Assert.Equal(2, result.Failed.Count);
        Assert.Contains(result.Failed, f => f.Error.Message.Contains("another transaction is already open", StringComparison.Ordinal));
        Assert.True(File.Exists(test.StandInTransactionMarker), "someone else's transaction is theirs: never aborted");
        Assert.False(File.Exists(Path.Combine(test.StagingDirectory, "transaction.open")), "nothing of ours is left to recover");

        test.RunStandIn("abort", "-f", Repo).AssertSuccess();
        var again = TestImages.Stage(repository, "someone-else");
        Assert.Empty((await repository.ApplyAsync([again, new SetTag("org/app:1", again.Metadata.ConfigDigest)], null, Ct)).Failed);
        TestImages.AssertComplete(Path.Combine(test.TreeRoot, "org", "app:1"), "someone-else");
    }

    /// <summary>The stand-in opens transactions on an overlayfs union mount as root; elsewhere EXDEV is not modelled.</summary>
    private static void RequireUnionMount(TestRepository test)
    {
        var probe = test.RunStandIn("transaction", Repo);
        probe.AssertSuccess();
        var mode = File.ReadAllText(test.StandInTransactionMarker);
        test.RunStandIn("abort", "-f", Repo).AssertSuccess();
        if (!mode.StartsWith("overlay", StringComparison.Ordinal))
        {
            RequiredTool.SkipOrFail("the cvmfs_server stand-in models overlayfs (EXDEV on renaming a lower-layer directory) only as root, where it can mount one; run the tests as root");
        }
    }

    private static byte[] Tar(params (string Name, string Text)[] files)
    {
        var stream = new MemoryStream();
        using (var writer = new TarWriter(stream, TarEntryFormat.Pax, leaveOpen: true))
        {
            foreach (var (name, text) in files)
            {
                writer.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, name) { DataStream = new MemoryStream(System.Text.Encoding.UTF8.GetBytes(text)) });
            }
        }

        return stream.ToArray();
    }
}
