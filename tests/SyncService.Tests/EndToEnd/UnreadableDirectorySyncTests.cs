using System.Diagnostics;
using CvmfsImages.Registry;
using CvmfsImages.Sync.CommandLine;
using CvmfsImages.TestSupport;
using CvmfsImages.TestSupport.Images;
using Xunit;

namespace CvmfsImages.Tests.SyncService.EndToEnd;

/// <summary>
/// One unreadable directory that the service did not write (on a real stratum-0 <c>hand2/root</c>, mode 0700, from
/// someone's ingest) made every <c>sync</c> exit 4. Now it is skipped, said once, and the pass goes on. The command
/// runs as a child process that cannot read it: as root without CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH (setpriv),
/// the directory owned by another user; as non-root, the directory mode 0.
/// </summary>
public sealed class UnreadableDirectorySyncTests(RegistryFixture fixture) : IClassFixture<RegistryFixture>
{
    [Fact]
    public async Task Sync_skips_a_directory_it_cannot_read_says_so_and_publishes_the_rest()
    {
        var registry = fixture.Registry;
        var ct = TestContext.Current.CancellationToken;
        var setpriv = Environment.UserName == "root" ? RequiredTool.Require("setpriv", "util-linux") : null;
        using var client = new RegistryClient(new RegistryClientOptions());
        await TestImage.Create().WithLayer(TestFile.Text("etc/hello", "readable 1\n")).PushAsync(client, $"{registry.Host}/unread/app:1", ct);
        await TestImage.Create().WithLayer(TestFile.Text("etc/hello", "readable 2\n")).PushAsync(client, $"{registry.Host}/unread/app:2", ct);
        using var h = new SyncHarness();
        h.WriteList($"{registry.Host}/unread/app:1");
        var (exit, output, error) = await h.RunCliAsync("sync --once");
        Assert.True(exit == ExitCodes.Success, $"exit {exit}\n{output}\n{error}");

        var foreign = Path.Combine(h.Root, "hand2", "root");
        Directory.CreateDirectory(Path.Combine(foreign, "bin"));
        if (setpriv is not null)
        {
            using var chown = Process.Start("chown", ["-R", "12345", foreign]);
            await chown.WaitForExitAsync(ct);
            File.SetUnixFileMode(foreign, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
        else
        {
            File.SetUnixFileMode(foreign, UnixFileMode.None);
        }

        try
        {
            h.WriteList($"{registry.Host}/unread/app:1", $"{registry.Host}/unread/app:2");
            var psi = new ProcessStartInfo(setpriv ?? "dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            if (setpriv is not null)
            {
                psi.ArgumentList.Add("--bounding-set=-dac_override,-dac_read_search");
                psi.ArgumentList.Add("dotnet");
            }

            foreach (var arg in (string[])["exec", Path.Combine(AppContext.BaseDirectory, "cvmfs-image-sync.dll"), "sync", "--once", .. h.CommonArgs()])
            {
                psi.ArgumentList.Add(arg);
            }

            psi.Environment["COLUMNS"] = "300";
            using var child = Process.Start(psi)!;
            var stdout = child.StandardOutput.ReadToEndAsync(ct);
            var stderr = child.StandardError.ReadToEndAsync(ct);
            await child.WaitForExitAsync(ct);
            var all = await stdout + await stderr;

            Assert.True(child.ExitCode == ExitCodes.Success, $"exit {child.ExitCode}\n{all}");
            Assert.Contains("cannot read (hand2/root)", all, StringComparison.Ordinal);
            Assert.Equal("readable 2\n", h.ReadFromImage("unread/app:2", "etc/hello"));
            Assert.Equal("readable 1\n", h.ReadFromImage("unread/app:1", "etc/hello"));
            Assert.True(Directory.Exists(foreign), "what the service cannot read is left alone");
        }
        finally
        {
            File.SetUnixFileMode(foreign, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
    }
}
