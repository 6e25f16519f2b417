using System.Diagnostics;
using CvmfsImages.Publisher.Publishing;
using CvmfsImages.TestSupport;
using Xunit;

namespace CvmfsImages.Tests.CvmfsPublisher.Publishing;

/// <summary>
/// A directory in the repository that the service did not write and cannot read (on a real stratum-0:
/// <c>/cvmfs/REPO/hand2/root</c>, mode 0700, from someone's ingest) is skipped and said once; publishing goes on.
/// The publisher runs in a child process that cannot read it: as root, without CAP_DAC_OVERRIDE and
/// CAP_DAC_READ_SEARCH (setpriv), the directory owned by another user; as non-root, the directory mode 0.
/// </summary>
public sealed class UnreadableDirectoryTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [MemberData(nameof(TestRepository.Kinds), MemberType = typeof(TestRepository))]
    public async Task A_directory_the_service_cannot_read_is_skipped_and_publishing_goes_on(string kind)
    {
        using var test = new TestRepository(kind);
        var setpriv = Environment.UserName == "root" ? RequiredTool.Require("setpriv", "util-linux") : null;
        {
            var repository = test.Open();
            var add = TestImages.Stage(repository, "unreadable-app");
            Assert.Empty((await repository.ApplyAsync([add, new SetTag("org/app:1", add.Metadata.ConfigDigest)], null, Ct)).Failed);
        }

        // Someone else's tree beside ours: hand2/root holds a link that looks like a tag.
        var open = kind != TestRepository.Directory;
        if (open)
        {
            test.RunStandIn("transaction", TestRepository.RepositoryName).AssertSuccess();
        }

        var foreign = Path.Combine(test.TreeRoot, "hand2", "root");
        Directory.CreateDirectory(Path.Combine(foreign, "deep"));
        File.CreateSymbolicLink(Path.Combine(foreign, "deep", "x:1"), "../../../.images/00/00");
        if (setpriv is not null)
        {
            Chown(foreign, 12345);
            File.SetUnixFileMode(foreign, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
        else
        {
            File.SetUnixFileMode(foreign, UnixFileMode.None);
        }

        if (open)
        {
            test.RunStandIn("publish", "-m", "hand2", TestRepository.RepositoryName).AssertSuccess();
        }

        try
        {
            var output = await RunChildAsync(setpriv, test.Options());

            string[] expected = ["TAGS org/app:1", "UNREADABLE hand2/root", "FAILED ", "TAGS org/app:2"];
            Assert.True(expected.SequenceEqual(output.Split('\n', StringSplitOptions.RemoveEmptyEntries)), output);
            Assert.True(Directory.Exists(foreign), "what the service cannot read is left alone");
        }
        finally
        {
            if (setpriv is null)
            {
                File.SetUnixFileMode(foreign, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute); // so that cleanup can remove it
            }
        }
    }

    private static async Task<string> RunChildAsync(string? setpriv, PublisherOptions options)
    {
        var start = new ProcessStartInfo(setpriv ?? "dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        if (setpriv is not null)
        {
            start.ArgumentList.Add("--bounding-set=-dac_override,-dac_read_search");
            start.ArgumentList.Add("dotnet");
        }

        start.ArgumentList.Add(typeof(UnreadableChild).Assembly.Location);
        foreach (var argument in UnreadableChild.Arguments(options))
        {
            start.ArgumentList.Add(argument);
        }

        using var child = Process.Start(start)!;
        var stdout = child.StandardOutput.ReadToEndAsync(Ct);
        var stderr = child.StandardError.ReadToEndAsync(Ct);
        await child.WaitForExitAsync(Ct);
        Assert.True(child.ExitCode == 0, $"the child failed ({child.ExitCode}): {await stderr}{await stdout}");
        return await stdout;
    }

    private static void Chown(string path, int uid)
    {
        using var chown = Process.Start(new ProcessStartInfo("chown", ["-R", uid.ToString(System.Globalization.CultureInfo.InvariantCulture), path]))!;
        chown.WaitForExit();
        Assert.Equal(0, chown.ExitCode);
    }
}
