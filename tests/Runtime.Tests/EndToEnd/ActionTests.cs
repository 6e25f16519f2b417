using Xunit;

namespace CvmfsImages.Tests.Runtime.EndToEnd;

/// <summary>ActionBehaviour, with the unprivileged starter (user namespaces).</summary>
[Collection(FrontEndTestGroup.Name)]
public sealed class ActionTests(FrontEndSandbox sandbox) : ActionBehaviour(sandbox);

/// <summary>ActionBehaviour, in setuid mode (a node without unprivileged user namespaces, installed with --setuid).</summary>
[Collection(SetuidFrontEndTestGroup.Name)]
public sealed class ActionSetuidTests(SetuidFrontEndSandbox sandbox) : ActionBehaviour(sandbox);

public abstract class ActionBehaviour(FrontEndSandbox sandbox)
{
    [Fact]
    public void Run_uses_the_runscript_with_the_arguments()
    {
        var r = sandbox.Run(["run", sandbox.Image, "a", "b c"]);
        Assert.Equal(7, r.ExitCode);
        Assert.Equal("runscript a b c\n", r.Stdout);
    }

    [Fact]
    public void Shell_reads_commands_from_stdin()
    {
        var r = sandbox.Run(["shell", sandbox.Image], stdin: "echo in-shell $SINGULARITY_NAME\nexit 5\n");
        Assert.Equal(5, r.ExitCode);
        Assert.Contains("in-shell img", r.Stdout, StringComparison.Ordinal);
        r = sandbox.Run(["shell", "-s", "/bin/ash", sandbox.Image, "-c", "echo $0"]);
        Assert.Equal("/bin/ash\n", r.Stdout);
    }

    [Fact]
    public void Test_runs_the_test_script_or_says_there_is_none()
    {
        var r = sandbox.Run(["test", sandbox.Image]);
        Assert.Equal(0, r.ExitCode);
        Assert.Contains("No test script found", r.Stderr, StringComparison.Ordinal);
        var image = Support.BusyboxImage.Create(Path.Combine(sandbox.Root, "img-test"));
        Support.BusyboxImage.Write(image, ".singularity.d/test", "#!/bin/sh\necho testing\nexit 4\n", executable: true);
        r = sandbox.Run(["test", image]);
        Assert.Equal(4, r.ExitCode);
        Assert.Equal("testing\n", r.Stdout);
    }

    [Fact]
    public void Inspect_shows_labels_runscript_environment_and_json()
    {
        var r = sandbox.Run(["inspect", sandbox.Image]);
        Assert.Equal(0, r.ExitCode);
        Assert.Equal("org.label: value\nn: 3\n", r.Stdout);
        Assert.Equal("#!/bin/sh\necho runscript \"$@\"\nexit 7\n", sandbox.Run(["inspect", "--runscript", sandbox.Image]).Stdout);
        Assert.Contains("export IMAGE_VAR=from-image", sandbox.Run(["inspect", "--environment", sandbox.Image]).Stdout, StringComparison.Ordinal);
        var json = sandbox.Run(["inspect", "--json", "--labels", "--runscript", sandbox.Image]).Stdout;
        using var doc = System.Text.Json.JsonDocument.Parse(json);
        var attributes = doc.RootElement.GetProperty("data").GetProperty("attributes");
        Assert.Equal("value", attributes.GetProperty("labels").GetProperty("org.label").GetString());
        Assert.StartsWith("#!/bin/sh", attributes.GetProperty("runscript").GetString(), StringComparison.Ordinal);
        Assert.Equal("container", doc.RootElement.GetProperty("type").GetString());
    }

    [Fact]
    public void Version_and_help()
    {
        var r = sandbox.Run(["--version"]);
        Assert.Equal(0, r.ExitCode);
        Assert.StartsWith("singularity version 3.", r.Stdout, StringComparison.Ordinal);
        r = sandbox.Run(["help", "exec"]);
        Assert.Equal(0, r.ExitCode);
        Assert.Contains("-B|--bind <value>", r.Stdout, StringComparison.Ordinal);
        Assert.Equal(0, sandbox.Run(["exec", "--help"]).ExitCode);
    }

    [Fact]
    public void Nv_without_a_driver_warns_and_runs()
    {
        if (File.Exists("/dev/nvidiactl"))
        {
            Assert.Skip("this host has an NVIDIA driver");
        }

        var r = sandbox.Run(["exec", "--nv", sandbox.Image, "true"]);
        Assert.Equal(0, r.ExitCode);
        Assert.Contains("WARNING: --nv: no NVIDIA driver found on this host", r.Stderr, StringComparison.Ordinal);
    }
}
