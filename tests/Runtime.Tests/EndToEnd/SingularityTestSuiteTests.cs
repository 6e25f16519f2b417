using Xunit;

namespace CvmfsImages.Tests.Runtime.EndToEnd;

/// <summary>SingularityTestSuiteBehaviour, with the unprivileged starter (user namespaces).</summary>
[Collection(FrontEndTestGroup.Name)]
public sealed class SingularityTestSuiteTests(FrontEndSandbox sandbox) : SingularityTestSuiteBehaviour(sandbox);

/// <summary>SingularityTestSuiteBehaviour, in setuid mode (a node without unprivileged user namespaces, installed with --setuid).</summary>
[Collection(SetuidFrontEndTestGroup.Name)]
public sealed class SingularityTestSuiteSetuidTests(SetuidFrontEndSandbox sandbox) : SingularityTestSuiteBehaviour(sandbox);

/// <summary>Behaviours Singularity 2.x's own test suite checks (tests/*.sh there): exit codes, --pwd, --home, --workdir, --no-home, binds.</summary>
public abstract class SingularityTestSuiteBehaviour(FrontEndSandbox sandbox)
{
    [Fact]
    public void Exec_true_and_false()
    {
        Assert.Equal(0, sandbox.Run(["exec", sandbox.Image, "true"]).ExitCode);
        Assert.Equal(1, sandbox.Run(["exec", sandbox.Image, "false"]).ExitCode);
        Assert.Equal(0, sandbox.Run(["exec", sandbox.Image, "/bin/true"]).ExitCode);
    }

    [Fact]
    public void Stdin_reaches_the_payload_and_its_status_comes_back()
    {
        Assert.Equal(0, sandbox.Run(["exec", sandbox.Image, "sh"], stdin: "true\n").ExitCode);
        Assert.Equal(1, sandbox.Run(["exec", sandbox.Image, "sh"], stdin: "false\n").ExitCode);
        Assert.Equal(0, sandbox.Run(["shell", sandbox.Image], stdin: "true\n").ExitCode);
        Assert.Equal(1, sandbox.Run(["shell", sandbox.Image], stdin: "false\n").ExitCode);
        Assert.Equal("hello\n", sandbox.Run(["exec", "-p", sandbox.Image, "cat"], stdin: "hello\n").Stdout);
    }

    [Fact]
    public void Relative_image_paths_and_a_trailing_slash_work()
    {
        var r = sandbox.Run(["exec", "./img/", "sh", "-c", "echo $SINGULARITY_NAME"], cwd: sandbox.Root);
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Equal("img\n", r.Stdout);
    }

    [Fact]
    public void Workdir_with_contain_backs_tmp_and_var_tmp_and_home_on_the_host()
    {
        var work = sandbox.CreateFolder("workdir", worldWritable: true);
        var r = sandbox.Run(["exec", "--contain", "--workdir", work, sandbox.Image, "sh", "-c", "touch /tmp/foo /var/tmp/bar $HOME/baz 2>&1; echo $HOME"]);
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.True(File.Exists(Path.Combine(work, "tmp", "foo")));
        Assert.True(File.Exists(Path.Combine(work, "var_tmp", "bar")));
        // nobody's home is /nonexistent: with --contain --workdir it is backed by <workdir>/home.
        Assert.True(File.Exists(Path.Combine(work, "home", "baz")), r.ToString());
    }

    [Fact]
    public void Scratch_directories_are_empty_and_writable()
    {
        var r = sandbox.Run(["exec", "-S", "/scratch,/data/s2", sandbox.Image, "sh", "-c", "ls -A /scratch /data/s2 | grep -v : | grep -c . ; touch /scratch/x /data/s2/y && echo ok"]);
        Assert.Equal("0\nok\n", r.Stdout);
    }

    [Fact]
    public void Pwd_home_and_binds_together()
    {
        var home = sandbox.CreateFolder("suite-home", ownedByNobody: true);
        var data = sandbox.CreateFolder("suite-data");
        File.WriteAllText(Path.Combine(data, "f"), "d");
        var r = sandbox.Run(["exec", "--home", $"{home}:/home/test", "--bind", $"{data}:/mnt/data", "--pwd", "/mnt/data", sandbox.Image, "sh", "-c", "pwd; cat f; echo $HOME; touch ~/h"]);
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Equal("/mnt/data\nd/home/test\n", r.Stdout);
        Assert.True(File.Exists(Path.Combine(home, "h")));
    }
}
