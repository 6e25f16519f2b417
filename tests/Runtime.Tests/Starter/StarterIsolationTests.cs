using System.Diagnostics;
using System.Globalization;
using Xunit;

namespace CvmfsImages.Tests.Runtime.Starter;

/// <summary>What the payload must not be able to do or see: privilege, the caller's fds, other processes.</summary>
[Collection(StarterTestGroup.Name)]
public sealed class StarterIsolationTests(StarterSandbox sandbox)
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_setuid_root_binary_in_the_image_gains_nothing(bool pid)
    {
        if (!sandbox.IsRoot)
        {
            Assert.Skip("needs root to make a setuid-root file (CI runs as root)");
        }

        var image = sandbox.CreateImage("setuid-" + pid);
        var suid = Directory.CreateDirectory(Path.Combine(image, "suid")).FullName;
        File.SetUnixFileMode(suid, StarterSandbox.Mode0755);
        foreach (var name in new[] { "id", "cat" })
        {
            var copy = Path.Combine(suid, name);
            File.Copy(sandbox.Busybox, copy);
            File.SetUnixFileMode(copy, StarterSandbox.Mode0755 | UnixFileMode.SetUser | UnixFileMode.SetGroup);
        }

        Assert.True((File.GetUnixFileMode(Path.Combine(suid, "id")) & UnixFileMode.SetUser) != 0, "the test image has no setuid file");
        var result = sandbox.Run([.. sandbox.Standard(pid, image), .. StarterSandbox.Shell("/suid/id -u; /suid/id -g; /suid/cat /proc/self/status")]);

        Assert.True(result.ExitCode == 0, result.ToString());
        var lines = result.Stdout.Split('\n');
        Assert.Equal(sandbox.Uid.ToString(CultureInfo.InvariantCulture), lines[0]);
        Assert.Equal(sandbox.Gid.ToString(CultureInfo.InvariantCulture), lines[1]);
        var status = lines.Select(l => l.Split(':', 2)).Where(p => p.Length == 2).ToDictionary(p => p[0], p => p[1].Trim());
        Assert.Equal("1", status["NoNewPrivs"]);
        foreach (var set in new[] { "CapEff", "CapPrm", "CapBnd", "CapInh", "CapAmb" })
        {
            Assert.True(status[set] == "0000000000000000", $"{set} is {status[set]}");
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Fds_opened_by_the_caller_are_not_inherited(bool pid)
    {
        var hostFile = Path.Combine(sandbox.Root, "open-me");
        File.WriteAllText(hostFile, "secret");
        File.SetUnixFileMode(hostFile, UnixFileMode.UserRead | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        var result = sandbox.Run(
            [.. sandbox.Standard(pid), .. StarterSandbox.Shell("cd /proc/self/fd && echo *")],
            shellSetup: $"exec 7<{hostFile} 9>/dev/null");

        Assert.True(result.ExitCode == 0, result.ToString());
        var fds = result.Stdout.Trim().Split(' ');
        Assert.DoesNotContain("7", fds);
        Assert.DoesNotContain("9", fds);
        Assert.Contains("0", fds);
    }

    [Fact]
    public void Fds_opened_by_the_caller_are_visible_without_the_starter_so_the_check_above_can_fail()
    {
        // Control: the same shell redirection does reach a plain exec, so the test above is meaningful.
        var hostFile = Path.Combine(sandbox.Root, "open-me-too");
        File.WriteAllText(hostFile, "x");
        File.SetUnixFileMode(hostFile, UnixFileMode.UserRead | UnixFileMode.OtherRead);
        using var process = Process.Start(new ProcessStartInfo("/bin/sh", ["-c", $"exec 7<{hostFile}; ls /proc/self/fd"]) { RedirectStandardOutput = true })!;
        var output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();

        Assert.Contains("7", output.Split('\n'));
    }

    [Fact]
    public void With_a_PID_namespace_the_payload_sees_only_its_own_processes_and_PID_1_is_the_init()
    {
        var result = sandbox.Run([.. sandbox.Standard(pid: true), .. StarterSandbox.Shell(
            "echo $$; cd /proc && for p in [0-9]*; do echo pid $p; done; cat /proc/1/cmdline | tr '\\0' ' '")]);

        Assert.True(result.ExitCode == 0, result.ToString());
        var lines = result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("2", lines[0]);
        var pids = lines.Where(l => l.StartsWith("pid ", StringComparison.Ordinal)).Select(l => int.Parse(l[4..], CultureInfo.InvariantCulture)).ToArray();
        Assert.Contains(1, pids);
        Assert.Contains(2, pids);
        Assert.True(pids.All(p => p < 10), "processes outside the namespace are visible: " + string.Join(',', pids));
        Assert.StartsWith(sandbox.Starter + " " + StarterSandbox.Magic, lines[^1], StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(true, "No such file or directory")]
    [InlineData(false, "Permission denied")]
    public void Another_process_of_the_same_user_outside_and_its_environ_are_out_of_reach(bool pid, string why)
    {
        // A sibling process of the same user, outside, with a secret in its environment (the pilot, say). With a
        // PID namespace it does not even exist for the payload; without one the user namespace still denies it.
        using var sibling = StartSibling();
        try
        {
            var result = sandbox.Run([.. sandbox.Standard(pid), "ENV", $"SIBLING={sibling.Id}", .. StarterSandbox.Shell(
                "cat /proc/$SIBLING/environ; echo status $?")]);

            Assert.DoesNotContain("s3cr3t-token", result.Stdout, StringComparison.Ordinal);
            Assert.Contains("status 1", result.Stdout, StringComparison.Ordinal);
            Assert.Contains(why, result.Stderr, StringComparison.Ordinal);
        }
        finally
        {
            sibling.Kill();
            sibling.WaitForExit();
        }
    }

    [Fact]
    public void Control_the_same_user_outside_the_starter_can_read_the_siblings_environ()
    {
        // Shows that the test above can fail: the secret is there for anyone running as that user on the host.
        using var sibling = StartSibling();
        try
        {
            var reader = new ProcessStartInfo(sandbox.IsRoot ? RequiredSetpriv() : "/bin/cat") { RedirectStandardOutput = true };
            AddUserSwitch(reader, "/bin/cat");
            reader.ArgumentList.Add($"/proc/{sibling.Id}/environ");
            using var cat = Process.Start(reader)!;
            var output = cat.StandardOutput.ReadToEnd();
            cat.WaitForExit();

            Assert.Contains("PILOT_SECRET=s3cr3t-token", output, StringComparison.Ordinal);
        }
        finally
        {
            sibling.Kill();
            sibling.WaitForExit();
        }
    }

    private Process StartSibling()
    {
        var info = new ProcessStartInfo(sandbox.IsRoot ? RequiredSetpriv() : "/bin/sleep") { UseShellExecute = false };
        AddUserSwitch(info, "/bin/sleep");
        info.ArgumentList.Add("600");
        info.Environment["PILOT_SECRET"] = "s3cr3t-token";
        var sibling = Process.Start(info)!;

        // Until setpriv has exec'd sleep the process is setpriv's (not dumpable after its uid change): wait for sleep.
        StarterSandbox.PollUntil(() => ReadCommandLine(sibling.Id).StartsWith("/bin/sleep\0", StringComparison.Ordinal), TimeSpan.FromSeconds(30));
        return sibling;
    }

    private static string ReadCommandLine(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/cmdline");
        }
        catch (IOException)
        {
            return string.Empty;
        }
    }

    private void AddUserSwitch(ProcessStartInfo info, string command)
    {
        if (sandbox.IsRoot)
        {
            foreach (var word in new[] { $"--reuid={sandbox.Uid}", $"--regid={sandbox.Gid}", "--clear-groups", command })
            {
                info.ArgumentList.Add(word);
            }
        }
    }

    [Fact]
    public void The_host_root_is_detached_and_the_image_is_read_only()
    {
        var result = sandbox.Run([.. sandbox.Standard(pid: true), .. StarterSandbox.Shell(
            "ls /oldroot /newroot 2>&1; touch /etc/new 2>&1; grep -E '^[0-9]+ [0-9]+ [0-9:]+ [^ ]+ / ' /proc/self/mountinfo")]);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("/oldroot: No such file or directory", result.Stdout, StringComparison.Ordinal);
        Assert.Contains("/newroot: No such file or directory", result.Stdout, StringComparison.Ordinal);
        Assert.Contains("Read-only file system", result.Stdout, StringComparison.Ordinal);
        var rootMount = result.Stdout.Split('\n').Single(l => l.Split(' ').Length > 5 && l.Split(' ')[4] == "/");
        Assert.Contains("ro,nosuid,nodev", rootMount, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(sandbox.Image, "etc", "new")));
    }

    private static string RequiredSetpriv() => CvmfsImages.TestSupport.RequiredTool.Require("setpriv", "util-linux");
}
