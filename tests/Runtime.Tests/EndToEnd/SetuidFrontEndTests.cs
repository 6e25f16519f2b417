using Xunit;

namespace CvmfsImages.Tests.Runtime.EndToEnd;

/// <summary>How the command picks the setuid starter (Launch/Starter.cs, <c>Choose</c>) on a <c>--setuid</c> install.</summary>
[Collection(SetuidFrontEndTestGroup.Name)]
public sealed class SetuidFrontEndTests(SetuidFrontEndSandbox sandbox)
{
    [Fact]
    public void With_allow_setuid_yes_the_command_runs_the_setuid_starter_and_says_so_with_debug()
    {
        var r = sandbox.Run(["-d", "exec", sandbox.Image, "cat", "/proc/self/uid_map"]);

        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Contains("starter-suid is installed: using it (it runs without root when unprivileged user namespaces work)", r.Stderr, StringComparison.Ordinal);
        Assert.Contains("setuid mode: no user namespace", r.Stderr, StringComparison.Ordinal);
        Assert.Equal("0 0 4294967295", UidMap(r.Stdout));
    }

    [Fact]
    public void With_allow_setuid_no_in_its_config_the_command_runs_the_plain_starter()
    {
        // Written directly: the setuid sandbox's WriteConfig turns allow setuid on.
        var config = Path.Combine(sandbox.Root, "conf", "no-setuid.conf");
        File.WriteAllText(config, File.ReadAllText(sandbox.DefaultConfig).Replace("allow setuid = yes", "allow setuid = no", StringComparison.Ordinal));
        File.SetUnixFileMode(config, (UnixFileMode)0b110_100_100);

        var r = sandbox.Run(["-d", "exec", sandbox.Image, "cat", "/proc/self/uid_map"], config: config);

        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.DoesNotContain("starter-suid", r.Stderr, StringComparison.Ordinal);
        Assert.Equal($"{FrontEndSandbox.Nobody} {FrontEndSandbox.Nobody} 1", UidMap(r.Stdout));
    }

    private static string UidMap(string stdout) => string.Join(' ', stdout.Split([' ', '\t', '\n'], StringSplitOptions.RemoveEmptyEntries));
}
