using CvmfsImages.Tests.Runtime.Starter;
using Xunit;

namespace CvmfsImages.Tests.Runtime.EndToEnd;

/// <summary>ExitStatusBehaviour, with the unprivileged starter (user namespaces).</summary>
[Collection(FrontEndTestGroup.Name)]
public sealed class ExitStatusTests(FrontEndSandbox sandbox) : ExitStatusBehaviour(sandbox);

/// <summary>ExitStatusBehaviour, in setuid mode (a node without unprivileged user namespaces, installed with --setuid).</summary>
[Collection(SetuidFrontEndTestGroup.Name)]
public sealed class ExitStatusSetuidTests(SetuidFrontEndSandbox sandbox) : ExitStatusBehaviour(sandbox);

public abstract class ExitStatusBehaviour(FrontEndSandbox sandbox)
{
    [Theory]
    [InlineData("exit 0", 0)]
    [InlineData("exit 1", 1)]
    [InlineData("exit 42", 42)]
    [InlineData("kill -TERM $$", 128 + 15)]
    [InlineData("kill -KILL $$", 128 + 9)]
    public void The_payload_s_status_is_the_command_s(string script, int expected)
    {
        Assert.Equal(expected, sandbox.Run(["exec", sandbox.Image, "sh", "-c", script]).ExitCode);
        Assert.Equal(expected, sandbox.Run(["exec", "-p", sandbox.Image, "sh", "-c", script]).ExitCode);
    }

    [Fact]
    public void A_missing_command_is_127_and_says_so()
    {
        var r = sandbox.Run(["exec", sandbox.Image, "no-such-command"]);
        Assert.Equal(127, r.ExitCode);
        Assert.Contains("no-such-command: not found", r.Stderr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Sigterm_sent_to_the_runtime_reaches_the_payload(bool pid)
    {
        string[] options = pid ? ["-p"] : [];
        using var process = sandbox.Start(["exec", .. options, sandbox.Image, "sh", "-c", "trap 'echo got TERM; exit 3' TERM; echo ready; while :; do sleep 1; done"]);
        Assert.Equal("ready", process.StandardOutput.ReadLine());
        // The runtime execs the starter in place (same pid): this is the pid the caller knows.
        StarterSandbox.Signal(process.Id, "TERM");
        Assert.True(process.WaitForExit(TimeSpan.FromSeconds(60)));
        Assert.Equal("got TERM", process.StandardOutput.ReadLine());
        Assert.Equal(3, process.ExitCode);
    }
}
