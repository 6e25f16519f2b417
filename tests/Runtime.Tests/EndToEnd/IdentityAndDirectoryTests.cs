using Xunit;

namespace CvmfsImages.Tests.Runtime.EndToEnd;

/// <summary>IdentityAndDirectoryBehaviour, with the unprivileged starter (user namespaces).</summary>
[Collection(FrontEndTestGroup.Name)]
public sealed class IdentityAndDirectoryTests(FrontEndSandbox sandbox) : IdentityAndDirectoryBehaviour(sandbox);

/// <summary>IdentityAndDirectoryBehaviour, in setuid mode (a node without unprivileged user namespaces, installed with --setuid).</summary>
[Collection(SetuidFrontEndTestGroup.Name)]
public sealed class IdentityAndDirectorySetuidTests(SetuidFrontEndSandbox sandbox) : IdentityAndDirectoryBehaviour(sandbox);

public abstract class IdentityAndDirectoryBehaviour(FrontEndSandbox sandbox)
{
    [Fact]
    public void The_payload_runs_as_the_caller_with_no_capability_in_either_mode()
    {
        var r = sandbox.Run(["exec", sandbox.Image, "sh", "-c", "cat /proc/self/uid_map; grep -E '^(Uid|CapEff|CapBnd|NoNewPrivs):' /proc/self/status"]);

        Assert.True(r.ExitCode == 0, r.ToString());
        var lines = r.Stdout.Split('\n').Select(l => string.Join(' ', l.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries))).ToList();
        // Setuid mode (no unprivileged user namespaces): the host's user namespace; else one that maps only the caller.
        Assert.Equal(sandbox.IsSetuid ? "0 0 4294967295" : $"{FrontEndSandbox.Nobody} {FrontEndSandbox.Nobody} 1", lines[0]);
        Assert.Contains($"Uid: {FrontEndSandbox.Nobody} {FrontEndSandbox.Nobody} {FrontEndSandbox.Nobody} {FrontEndSandbox.Nobody}", lines);
        Assert.Contains("CapEff: 0000000000000000", lines);
        Assert.Contains("CapBnd: 0000000000000000", lines);
        Assert.Contains("NoNewPrivs: 1", lines);
    }

    private RunResult Exec(string script, params string[] options) =>
        sandbox.Run(["exec", .. options, sandbox.Image, "sh", "-c", script]);

    [Fact]
    public void The_payload_runs_as_the_caller_and_whoami_works_through_the_appended_passwd_line()
    {
        var r = Exec("id -u; id -g; whoami; id -gn; tail -n 1 /etc/passwd; head -n 1 /etc/passwd");
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Equal(["65534", "65534", "nobody", "nogroup", "nobody:x:65534:65534:nobody:/nonexistent:/bin/sh", "root:x:0:0:root:/root:/bin/sh"], r.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public void Cwd_is_kept_when_it_exists_in_the_container()
    {
        // The sandbox lives under /tmp, which is bound from the host: the current directory exists inside.
        var r = Exec("pwd");
        Assert.Equal(sandbox.Root, r.Stdout.Trim());
    }

    [Fact]
    public void Cwd_falls_back_to_home_then_root()
    {
        var home = sandbox.CreateFolder("home-cwd", ownedByNobody: true);
        var r = Exec("pwd; echo $HOME", "--contain", "-H", $"{home}:/home/nobody");
        Assert.Equal($"/home/nobody\n/home/nobody\n", r.Stdout);
        Assert.Equal("/\n", Exec("pwd", "--contain", "--no-home").Stdout);
    }

    [Fact]
    public void Pwd_option_sets_the_working_directory_and_a_missing_one_is_an_error()
    {
        Assert.Equal("/etc\n", Exec("pwd", "--pwd", "/etc").Stdout);
        var r = Exec("pwd", "--pwd", "/no/such/dir");
        Assert.Equal(255, r.ExitCode);
        Assert.Equal("FATAL:   --pwd /no/such/dir: no such directory in the container\n", r.Stderr);
    }

    [Fact]
    public void Home_option_binds_the_directory_and_sets_HOME()
    {
        var home = sandbox.CreateFolder("home-h", ownedByNobody: true);
        File.WriteAllText(Path.Combine(home, "marker"), "in home");
        var r = Exec("echo $HOME; cat ~/marker; echo; touch ~/written; grep nobody /etc/passwd", "-H", $"{home}:/home/custom");
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Equal("/home/custom\nin home\nnobody:x:65534:65534:nobody:/home/custom:/bin/sh\n", r.Stdout);
        Assert.True(File.Exists(Path.Combine(home, "written")));
    }

    [Fact]
    public void No_home_does_not_mount_it()
    {
        var home = sandbox.CreateFolder("home-nohome", ownedByNobody: true);
        File.WriteAllText(Path.Combine(home, "marker"), "x");
        // -H and --no-home together: the custom home wins, as an explicit request.
        Assert.Equal("x", Exec("cat /home/h/marker", "-H", $"{home}:/home/h").Stdout);
        var r = Exec("echo $HOME; ls /home", "--no-home");
        Assert.Equal("/nonexistent\n", r.Stdout);
    }
}
