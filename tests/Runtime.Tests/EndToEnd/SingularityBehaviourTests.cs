using CvmfsImages.Tests.Runtime.Support;
using Xunit;

namespace CvmfsImages.Tests.Runtime.EndToEnd;

/// <summary>SingularityBehaviourBehaviour, with the unprivileged starter (user namespaces).</summary>
[Collection(FrontEndTestGroup.Name)]
public sealed class SingularityBehaviourTests(FrontEndSandbox sandbox) : SingularityBehaviourBehaviour(sandbox);

/// <summary>SingularityBehaviourBehaviour, in setuid mode (a node without unprivileged user namespaces, installed with --setuid).</summary>
[Collection(SetuidFrontEndTestGroup.Name)]
public sealed class SingularityBehaviourSetuidTests(SetuidFrontEndSandbox sandbox) : SingularityBehaviourBehaviour(sandbox);

/// <summary>
/// What Singularity 2.6.1's own tests (and a new user) expect of the command line, the home directory, root, the
/// environment and /etc/group; and the features this runtime refuses, each with a message that says so.
/// </summary>
public abstract class SingularityBehaviourBehaviour(FrontEndSandbox sandbox)
{
    [Fact]
    public void No_arguments_print_the_usage_on_stdout_and_exit_0()
    {
        var r = sandbox.Run([]);

        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.StartsWith("Usage: singularity [global options] <action>", r.Stdout, StringComparison.Ordinal);
        Assert.Empty(r.Stderr);
    }

    [Theory]
    [InlineData("exec", "Usage: singularity [global options] exec ")]
    [InlineData("run", "Usage: singularity [global options] run ")]
    [InlineData("shell", "Usage: singularity [global options] shell ")]
    [InlineData("test", "Usage: singularity [global options] test ")]
    [InlineData("inspect", "Usage: singularity [global options] inspect ")]
    public void Action_help_prints_that_action_s_usage_and_exits_0(string action, string usage)
    {
        var r = sandbox.Run([action, "help"]);

        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.StartsWith(usage, r.Stdout, StringComparison.Ordinal);
        Assert.Equal(r.Stdout, sandbox.Run(["help", action]).Stdout);
    }

    [Fact]
    public void Help_on_an_unknown_action_is_an_error()
    {
        var r = sandbox.Run(["help", "bogus"]);

        Assert.Equal(255, r.ExitCode);
        Assert.Equal("FATAL:   help: unknown action 'bogus' (exec, shell, run, test, inspect)\n", r.Stderr);
        Assert.Empty(r.Stdout);
    }

    [Fact]
    public void A_home_the_caller_does_not_own_is_refused_unless_the_config_allows_it()
    {
        var foreign = sandbox.CreateFolder("home-foreign", worldWritable: true);

        var refused = sandbox.Run(["exec", "--home", foreign, sandbox.Image, "sh", "-c", "echo ran; touch ~/dotfile"]);
        var allowed = sandbox.Run(["exec", "--home", foreign, sandbox.Image, "sh", "-c", "echo $HOME"], config: sandbox.WriteConfig("unowned-home", "allow unowned home = yes\n"));

        Assert.Equal(255, refused.ExitCode);
        Assert.Contains($"--home {foreign}: home directory {foreign} is not owned by the calling user (it is owned by uid 0)", refused.Stderr, StringComparison.Ordinal);
        Assert.Contains("'allow unowned home = yes'", refused.Stderr, StringComparison.Ordinal);
        Assert.Empty(refused.Stdout);
        Assert.False(File.Exists(Path.Combine(foreign, "dotfile")));
        Assert.True(allowed.ExitCode == 0, allowed.ToString());
        Assert.Equal(foreign + "\n", allowed.Stdout);
    }

    [Fact]
    public void Root_keeps_its_capabilities_so_ping_works_and_no_privs_or_the_config_drop_them()
    {
        const string script = "grep CapEff /proc/self/status; ping -c 1 -W 5 127.0.0.1 >/dev/null 2>&1 && echo ping-ok || echo ping-failed";
        var bounding = File.ReadLines("/proc/self/status").Single(l => l.StartsWith("CapBnd:", StringComparison.Ordinal)).Split('\t')[^1];

        var root = sandbox.Run(["exec", sandbox.Image, "sh", "-c", script], asRoot: true);
        var noPrivs = sandbox.Run(["exec", "--no-privs", sandbox.Image, "sh", "-c", script], asRoot: true);
        var configured = sandbox.Run(["exec", sandbox.Image, "sh", "-c", script], asRoot: true, config: sandbox.WriteConfig("root-caps-no", "root default capabilities = no\n"));
        var nobody = sandbox.Run(["exec", sandbox.Image, "sh", "-c", script]);

        Assert.True(root.ExitCode == 0, root.ToString());
        Assert.Equal($"CapEff:\t{bounding}\nping-ok\n", root.Stdout);
        Assert.Equal("CapEff:\t0000000000000000\nping-failed\n", noPrivs.Stdout);
        Assert.Equal("CapEff:\t0000000000000000\nping-failed\n", configured.Stdout);
        Assert.Equal("CapEff:\t0000000000000000\nping-failed\n", nobody.Stdout);
    }

    [Fact]
    public void A_setuid_file_in_the_image_stays_inert_for_root()
    {
        // busybox setuid to nobody: were the bit honoured, root would run it as uid 65534.
        var image = BusyboxImage.Create(Path.Combine(sandbox.Root, "img-setuid-root"));
        var setuid = Path.Combine(image, "bin", "busybox-setuid");
        File.Copy(BusyboxImage.BusyboxPath, setuid);
        using (var chown = System.Diagnostics.Process.Start("chown", ["65534:65534", setuid])!)
        {
            chown.WaitForExit();
        }

        File.SetUnixFileMode(setuid, (UnixFileMode)0b100_111_101_101);

        var r = sandbox.Run(["exec", image, "/bin/busybox-setuid", "id", "-u"], asRoot: true);

        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Equal("0\n", r.Stdout);
    }

    [Fact]
    public void LD_LIBRARY_PATH_gets_the_libs_directory_once_even_when_an_env_script_added_it()
    {
        var image = BusyboxImage.Create(Path.Combine(sandbox.Root, "img-ldpath"));
        BusyboxImage.Write(image, ".singularity.d/env/10-libs.sh", "export LD_LIBRARY_PATH=/opt/lib:/.singularity.d/libs\n");
        BusyboxImage.MakeReadable(image);

        var r = sandbox.Run(["exec", image, "sh", "-c", "echo $LD_LIBRARY_PATH"]);

        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Equal("/opt/lib:/.singularity.d/libs\n", r.Stdout);
        Assert.Equal("/.singularity.d/libs\n", sandbox.Run(["exec", sandbox.Image, "sh", "-c", "echo $LD_LIBRARY_PATH"]).Stdout);
    }

    [Fact]
    public void USER_is_set_from_the_password_database_when_the_caller_passes_none()
    {
        // The sandbox starts the command with no USER in its environment, as `env -i` would.
        var r = sandbox.Run(["exec", sandbox.Image, "sh", "-c", "echo $USER"]);
        var clean = sandbox.Run(["exec", "--cleanenv", sandbox.Image, "sh", "-c", "echo $USER"], env: new() { ["USER"] = "nobody" });

        Assert.Equal("nobody\n", r.Stdout);
        Assert.Equal("nobody\n", clean.Stdout);
    }

    [Fact]
    public void The_callers_group_line_lists_the_caller_as_a_member()
    {
        var r = sandbox.Run(["exec", sandbox.Image, "sh", "-c", "tail -n 1 /etc/group"]);

        Assert.Equal("nogroup:x:65534:nobody\n", r.Stdout);
    }

    [Theory]
    [InlineData("instances (instance start/list/stop) are not supported", "instance", "start", "IMG", "web")]
    [InlineData("selftest is not supported", "selftest")]
    [InlineData("--app foo: SCIF apps are not supported", "exec", "--app", "foo", "IMG", "true")]
    [InlineData("--app foo: SCIF apps are not supported", "run", "--app", "foo", "IMG")]
    public void Unsupported_features_are_refused_saying_so(string message, params string[] args)
    {
        var r = sandbox.Run(args.Select(a => a == "IMG" ? sandbox.Image : a));

        Assert.Equal(255, r.ExitCode);
        Assert.Contains(message, r.Stderr, StringComparison.Ordinal);
        Assert.Empty(r.Stdout);
    }

    [Theory]
    [InlineData("SINGULARITY_TARGET_UID")]
    [InlineData("SINGULARITY_TARGET_GID")]
    public void A_request_to_run_as_another_user_is_refused(string variable)
    {
        var r = sandbox.Run(["exec", sandbox.Image, "echo", "ran"], env: new() { [variable] = "1000" });

        Assert.Equal(255, r.ExitCode);
        Assert.Contains($"{variable}=1000: running the container as another user is not supported", r.Stderr, StringComparison.Ordinal);
        Assert.Empty(r.Stdout);
    }

    [Fact]
    public void Root_owned_files_show_as_nobody_inside_for_an_unprivileged_caller()
    {
        // Inherent to a user namespace that maps only the caller: documented in Runtime/README.md. The setuid mode
        // has no user namespace, and shows the real owners.
        var r = sandbox.Run(["exec", sandbox.Image, "stat", "-c", "%U:%G", "/bin/busybox"]);

        Assert.Equal(sandbox.IsSetuid ? "root:root\n" : "nobody:nogroup\n", r.Stdout);
        Assert.Equal("root:root\n", sandbox.Run(["exec", sandbox.Image, "stat", "-c", "%U:%G", "/bin/busybox"], asRoot: true).Stdout);
    }
}
