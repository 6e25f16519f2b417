using Xunit;
using System.IO.Compression;
using System.Formats.Tar;
using CvmfsImages.Publisher.Publishing;

namespace CvmfsImages.Tests.CvmfsPublisher.Publishing;

/// <summary>The cvmfs_server backend against the stand-in, and the stand-in's own behaviour.</summary>
public sealed class CvmfsServerBackendTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public void The_stand_in_keeps_the_tree_read_only_outside_a_transaction_even_for_root()
    {
        using var test = new TestRepository(TestRepository.Cvmfs);
        var file = Path.Combine(test.TreeRoot, "probe");

        Assert.ThrowsAny<Exception>(() => File.WriteAllText(file, "outside")); // EPERM (root: immutable) or EACCES

        test.RunStandIn("transaction", TestRepository.RepositoryName).AssertSuccess();
        var again = test.RunStandIn("transaction", TestRepository.RepositoryName);
        Assert.Equal(17, again.ExitCode); // EEXIST, as cvmfs_publish 2.11
        Assert.Contains("CernVM-FS transaction error: another transaction is already open", again.StandardError, StringComparison.Ordinal);
        File.WriteAllText(file, "inside");
        test.RunStandIn("abort", "-f", TestRepository.RepositoryName).AssertSuccess();
        Assert.False(File.Exists(file), "abort discards");

        test.RunStandIn("transaction", TestRepository.RepositoryName).AssertSuccess();
        File.WriteAllText(file, "kept");
        test.RunStandIn("publish", "-m", "probe", TestRepository.RepositoryName).AssertSuccess();
        Assert.Equal("kept", File.ReadAllText(file));
        Assert.ThrowsAny<Exception>(() => File.WriteAllText(file, "overwrite"));
        Assert.ThrowsAny<Exception>(() => File.Delete(file));
        Assert.Equal("kept", File.ReadAllText(file));

        var notOpen = test.RunStandIn("publish", "-m", "x", TestRepository.RepositoryName);
        Assert.NotEqual(0, notOpen.ExitCode);
        Assert.Contains("is not in a transaction", notOpen.StandardOutput, StringComparison.Ordinal);
    }

    [Fact]
    public void The_stand_in_ingests_plain_tar_only_and_never_during_a_transaction()
    {
        using var test = new TestRepository(TestRepository.Ingest);
        var plain = new MemoryStream();
        using (var writer = new TarWriter(plain, TarEntryFormat.Pax, leaveOpen: true))
        {
            writer.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, "hello") { DataStream = new MemoryStream("hi"u8.ToArray()) });
        }

        var gzip = new MemoryStream();
        using (var compressor = new GZipStream(gzip, CompressionLevel.Fastest, leaveOpen: true))
        {
            compressor.Write(plain.ToArray());
        }

        var refused = test.RunStandIn(gzip.ToArray(), "ingest", "-t", "-", "-b", "x/gz", "-c", TestRepository.RepositoryName);
        Assert.NotEqual(0, refused.ExitCode);
        Assert.Contains("Unrecognized archive format", refused.StandardError, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(test.TreeRoot, "x", "gz")));

        test.RunStandIn("transaction", TestRepository.RepositoryName).AssertSuccess();
        var busy = test.RunStandIn(plain.ToArray(), "ingest", "-t", "-", "-b", "x/plain", TestRepository.RepositoryName);
        Assert.NotEqual(0, busy.ExitCode);
        Assert.Contains("another transaction is already open", busy.StandardError, StringComparison.Ordinal);
        Assert.Contains("Impossible to start a transaction", busy.StandardError, StringComparison.Ordinal);
        test.RunStandIn("abort", "-f", TestRepository.RepositoryName).AssertSuccess();

        test.RunStandIn(plain.ToArray(), "ingest", "-t", "-", "-b", "x/plain", "-c", TestRepository.RepositoryName).AssertSuccess();
        Assert.Equal("hi", File.ReadAllText(Path.Combine(test.TreeRoot, "x", "plain", "hello")));
        Assert.True(File.Exists(Path.Combine(test.TreeRoot, "x", "plain", ".cvmfscatalog")));
        Assert.ThrowsAny<Exception>(() => File.WriteAllText(Path.Combine(test.TreeRoot, "x", "plain", "hello"), "changed"));
        test.RunStandIn("ingest", "-d", "x/plain", TestRepository.RepositoryName).AssertSuccess();
        Assert.False(Directory.Exists(Path.Combine(test.TreeRoot, "x", "plain")));
    }

    public static TheoryData<string, string> InjectedFailures => new()
    {
        { TestRepository.Cvmfs, "transaction" },
        { TestRepository.Cvmfs, "publish" },
        { TestRepository.Ingest, "ingest" },
        { TestRepository.Ingest, "transaction" },
        { TestRepository.Ingest, "publish" },
    };

    [Theory]
    [MemberData(nameof(InjectedFailures))]
    public async Task A_failing_subcommand_fails_the_changes_quoting_its_stderr_and_leaves_the_tags_as_they_were(string kind, string subcommand)
    {
        using var test = new TestRepository(kind);
        var repository = test.Open();
        var before = TestImages.Stage(repository, "before");
        Assert.Empty((await repository.ApplyAsync([before, new SetTag("org/app:1", before.Metadata.ConfigDigest)], null, Ct)).Failed);

        test.InjectFailure(subcommand);
        var next = TestImages.Stage(repository, "next");
        var result = await repository.ApplyAsync([next, new SetTag("org/app:1", next.Metadata.ConfigDigest), new SetTag("org/app:2", next.Metadata.ConfigDigest)], null, Ct);

        Assert.Empty(result.Applied);
        Assert.Equal(3, result.Failed.Count);
        var error = result.Failed.Select(f => f.Error as CvmfsServerException ?? f.Error.InnerException as CvmfsServerException).First(e => e is not null)!;
        Assert.Contains($"cvmfs_server {subcommand}: injected failure", error.Message, StringComparison.Ordinal);
        Assert.Equal(1, error.ExitCode);
        Assert.Contains(subcommand, error.Command, StringComparison.Ordinal);
        var state = await repository.ReadStateAsync(Ct);
        Assert.Equal(before.Metadata.ConfigDigest, Assert.Single(state.Tags).Value);
        Assert.Contains("is not in a transaction", test.RunStandIn("abort", "-f", TestRepository.RepositoryName).StandardError, StringComparison.Ordinal);

        test.InjectFailure(null);
        var retry = TestImages.Stage(repository, "next");
        Assert.Empty((await repository.ApplyAsync([retry, new SetTag("org/app:1", retry.Metadata.ConfigDigest)], null, Ct)).Failed);
        TestImages.AssertComplete(Path.Combine(test.TreeRoot, "org", "app:1"), "next");
    }

    [Fact]
    public async Task A_transaction_that_could_not_be_aborted_is_aborted_by_the_next_publish()
    {
        using var test = new TestRepository(TestRepository.Cvmfs);
        var repository = test.Open();
        test.InjectFailure("publish,abort");
        var lost = TestImages.Stage(repository, "lost");
        var failed = await repository.ApplyAsync([lost, new SetTag("org/lost:1", lost.Metadata.ConfigDigest)], null, Ct);
        Assert.Equal(2, failed.Failed.Count);
        Assert.Contains("another transaction is already open", test.RunStandIn("transaction", TestRepository.RepositoryName).StandardError, StringComparison.Ordinal);

        test.InjectFailure(null);
        var found = TestImages.Stage(repository, "found");
        Assert.Empty((await repository.ApplyAsync([found, new SetTag("org/found:1", found.Metadata.ConfigDigest)], null, Ct)).Failed);

        var state = await repository.ReadStateAsync(Ct);
        Assert.Equal(["org/found:1"], state.Tags.Keys);
        Assert.False(Directory.Exists(Path.Combine(test.TreeRoot, RepositoryLayout.ImageDirectory(lost.Metadata.ConfigDigest))));
    }

    [Fact]
    public async Task A_missing_cvmfs_server_is_a_clear_error_naming_the_option()
    {
        using var test = new TestRepository(TestRepository.Cvmfs);
        var repository = test.Open(configure: o => o.CvmfsServerPath = "/nonexistent/cvmfs_server");
        var add = TestImages.Stage(repository, "x");

        var result = await repository.ApplyAsync([add], null, Ct);

        var error = Assert.IsType<CvmfsServerException>(Assert.Single(result.Failed).Error);
        Assert.Contains("Publisher:CvmfsServerPath", error.Message, StringComparison.Ordinal);
        Assert.Contains("/nonexistent/cvmfs_server", error.Message, StringComparison.Ordinal);
    }
}
