using Xunit;

namespace CvmfsImages.Tests.Runtime.EndToEnd;

/// <summary>IsolationBehaviour, with the unprivileged starter (user namespaces).</summary>
[Collection(FrontEndTestGroup.Name)]
public sealed class IsolationTests(FrontEndSandbox sandbox) : IsolationBehaviour(sandbox);

/// <summary>IsolationBehaviour, in setuid mode (a node without unprivileged user namespaces, installed with --setuid).</summary>
[Collection(SetuidFrontEndTestGroup.Name)]
public sealed class IsolationSetuidTests(SetuidFrontEndSandbox sandbox) : IsolationBehaviour(sandbox);

public abstract class IsolationBehaviour(FrontEndSandbox sandbox)
{
    private RunResult Exec(string script, params string[] options) =>
        sandbox.Run(["exec", .. options, sandbox.Image, "sh", "-c", script]);

    [Fact]
    public void Contain_hides_the_host_tmp_and_home()
    {
        var marker = Path.Combine(sandbox.CreateFolder("contain"), "marker");
        File.WriteAllText(marker, "x");
        var home = sandbox.CreateFolder("contain-home");
        File.WriteAllText(Path.Combine(home, "secret"), "x");
        Assert.Equal(0, Exec($"test -e {marker}").ExitCode);
        Assert.Equal(1, Exec($"test -e {marker}", "--contain").ExitCode);
        Assert.Equal(1, Exec("test -e /var/tmp/anything-from-host && exit 0; ls -A /tmp | grep -q . && exit 0; exit 1", "--contain").ExitCode);
        // With --contain the home is an empty session directory, even when the host has one (here via HOME-less nobody: a tmpfs).
        var r = Exec("ls -A $HOME | wc -l; touch $HOME/x && echo writable", "--contain", "--pwd", "/");
        Assert.Equal("0\nwritable\n", r.Stdout);
    }

    [Fact]
    public void Contain_gives_a_minimal_dev()
    {
        var r = Exec("ls /dev | sort | tr '\\n' ' '", "--contain");
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Contains("null", r.Stdout, StringComparison.Ordinal);
        Assert.Contains("urandom", r.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("sda", r.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("tty0", r.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void Pid_namespace_shows_only_the_container_s_processes()
    {
        var r = Exec("ls /proc | grep -c '^[0-9]'; cat /proc/1/cmdline | tr '\\0' ' '; echo; echo $$", "-p");
        Assert.True(r.ExitCode == 0, r.ToString());
        var lines = r.Stdout.Split('\n');
        Assert.InRange(int.Parse(lines[0], System.Globalization.CultureInfo.InvariantCulture), 1, 4);
        Assert.NotEqual("1", lines[2]);
        // The pilot (here: this test process) is not visible, so its environment cannot be read.
        var pilot = System.Environment.ProcessId;
        Assert.Equal(1, Exec($"cat /proc/{pilot}/environ", "-p").ExitCode);
        Assert.Equal("\n", Exec("cat /proc/1/environ; echo", "-p").Stdout);
        // Without -p the host's processes are visible.
        var host = Exec("ls /proc | grep -c '^[0-9]'");
        Assert.True(int.Parse(host.Stdout.Trim(), System.Globalization.CultureInfo.InvariantCulture) > 4, host.ToString());
    }

    [Fact]
    public void Ipc_namespace_is_new_exactly_with_ipc_or_containall_unless_the_config_forbids_it()
    {
        var host = new FileInfo("/proc/self/ns/ipc").LinkTarget;
        string Inside(string? config, params string[] options)
        {
            var r = sandbox.Run(["exec", .. options, sandbox.Image, "readlink", "/proc/self/ns/ipc"], config: config);
            Assert.True(r.ExitCode == 0, r.ToString());
            return r.Stdout.Trim();
        }

        Assert.Equal(host, Inside(null));
        Assert.NotEqual(host, Inside(null, "-i"));
        Assert.NotEqual(host, Inside(null, "--ipc"));
        Assert.NotEqual(host, Inside(null, "-C"));
        Assert.Equal(host, Inside(sandbox.WriteConfig("no-ipc", "allow ipc ns = no\n"), "-i"));
    }

    [Fact]
    public void A_setuid_root_binary_in_the_image_gains_nothing()
    {
        var image = Support.BusyboxImage.Create(Path.Combine(sandbox.Root, "img-setuid"));
        var suid = Directory.CreateDirectory(Path.Combine(image, "suid")).FullName;
        File.Copy(Path.Combine(image, "bin", "busybox"), Path.Combine(suid, "busybox"));
        File.SetUnixFileMode(Path.Combine(suid, "busybox"), (UnixFileMode)0b100_111_101_101);
        File.SetUnixFileMode(suid, FrontEndSandbox.Mode0755);
        // busybox picks the applet from argv[1] when it is called as "busybox".
        var r = sandbox.Run(["exec", image, "/suid/busybox", "sh", "-c", "id -u; grep -E '^(NoNewPrivs|CapEff|CapPrm)' /proc/self/status"]);
        Assert.True(r.ExitCode == 0, r.ToString());
        var lines = r.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("65534", lines[0]);
        Assert.Contains(lines, l => l.StartsWith("NoNewPrivs:", StringComparison.Ordinal) && l.EndsWith("\t1", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("CapEff:", StringComparison.Ordinal) && l.EndsWith("0000000000000000", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("CapPrm:", StringComparison.Ordinal) && l.EndsWith("0000000000000000", StringComparison.Ordinal));
    }

    [Fact]
    public void Descriptors_opened_by_the_caller_are_not_inherited()
    {
        // ls lists its own process's descriptors: 0-2 and the directory it reads (3). 7 and 9 were open in the caller.
        var r = sandbox.Run(["exec", sandbox.Image, "ls", "/proc/self/fd"], shellSetup: "exec 7</etc/hostname 9</etc/passwd");
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Equal(["0", "1", "2", "3"], r.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void The_payload_cannot_type_into_the_caller_s_terminal()
    {
        var image = Support.BusyboxImage.Create(Path.Combine(sandbox.Root, "img-tiocsti"));
        Support.TerminalProbe.Build(Path.Combine(image, "probe"));
        // Control: outside, on a pipe, the ioctls reach the tty layer and fail there (ENOTTY).
        Assert.Equal("TIOCSTI ENOTTY\nTIOCLINUX ENOTTY\nTCGETS ENOTTY\n", Support.TerminalProbe.RunOnHost(Path.Combine(image, "probe")));
        foreach (var options in new[] { Array.Empty<string>(), ["-p"] })
        {
            // Inside, the seccomp filter refuses TIOCSTI and TIOCLINUX before they get there; other ioctls pass.
            var r = sandbox.Run(["exec", .. options, image, "/probe"]);
            Assert.True(r.ExitCode == 0, r.ToString());
            Assert.Equal("TIOCSTI EPERM\nTIOCLINUX EPERM\nTCGETS ENOTTY\n", r.Stdout);
        }
    }

    [Fact]
    public void The_image_is_read_only()
    {
        var r = Exec("touch /etc/new-file");
        Assert.NotEqual(0, r.ExitCode);
        Assert.False(File.Exists(Path.Combine(sandbox.Image, "etc", "new-file")));
    }
}
