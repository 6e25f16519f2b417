using Xunit;

namespace CvmfsImages.Tests.Runtime.EndToEnd;

/// <summary>EnvironmentBehaviour, with the unprivileged starter (user namespaces).</summary>
[Collection(FrontEndTestGroup.Name)]
public sealed class EnvironmentTests(FrontEndSandbox sandbox) : EnvironmentBehaviour(sandbox);

/// <summary>EnvironmentBehaviour, in setuid mode (a node without unprivileged user namespaces, installed with --setuid).</summary>
[Collection(SetuidFrontEndTestGroup.Name)]
public sealed class EnvironmentSetuidTests(SetuidFrontEndSandbox sandbox) : EnvironmentBehaviour(sandbox);

public abstract class EnvironmentBehaviour(FrontEndSandbox sandbox)
{
    private string Echo(string expression, Dictionary<string, string>? env = null, params string[] options)
    {
        var r = sandbox.Run(["exec", .. options, sandbox.Image, "sh", "-c", $"echo \"{expression}\""], env);
        Assert.True(r.ExitCode == 0, r.ToString());
        return r.Stdout.TrimEnd('\n');
    }

    [Fact]
    public void Host_variables_pass_through_unless_cleanenv()
    {
        var env = new Dictionary<string, string> { ["HOSTVAR"] = "from host", ["TERM"] = "vt100" };
        Assert.Equal("from host|vt100", Echo("$HOSTVAR|$TERM", env));
        Assert.Equal("|vt100|C", Echo("$HOSTVAR|$TERM|$LANG", env, "--cleanenv"));
        Assert.Equal("|vt100", Echo("$HOSTVAR|$TERM", env, "-C"));
    }

    [Fact]
    public void Container_and_name_variables_are_set()
    {
        Assert.Equal($"{sandbox.Image}|img|{sandbox.Image}|img", Echo("$SINGULARITY_CONTAINER|$SINGULARITY_NAME|$APPTAINER_CONTAINER|$APPTAINER_NAME"));
    }

    [Fact]
    public void Image_env_scripts_apply_over_the_host_and_under_the_prefixes()
    {
        // The image's 90-environment.sh exports IMAGE_VAR and FOO=image-foo.
        Assert.Equal("from-image|image-foo", Echo("$IMAGE_VAR|$FOO", new() { ["FOO"] = "host-foo" }));
        Assert.Equal("singularityenv", Echo("$FOO", new() { ["FOO"] = "host", ["SINGULARITYENV_FOO"] = "singularityenv" }));
        Assert.Equal("apptainerenv", Echo("$FOO", new() { ["SINGULARITYENV_FOO"] = "singularityenv", ["APPTAINERENV_FOO"] = "apptainerenv" }));
    }

    [Fact]
    public void Precedence_env_over_env_file_over_apptainerenv_over_singularityenv()
    {
        var file = Path.Combine(sandbox.CreateFolder("envfile"), "vars.env");
        File.WriteAllText(file, "# comment\nA=file\nB=file\nexport SPACED=\"two words\"\n");
        var env = new Dictionary<string, string>
        {
            ["SINGULARITYENV_A"] = "s", ["SINGULARITYENV_B"] = "s", ["SINGULARITYENV_C"] = "s", ["SINGULARITYENV_D"] = "s",
            ["APPTAINERENV_A"] = "a", ["APPTAINERENV_B"] = "a", ["APPTAINERENV_C"] = "a",
        };
        Assert.Equal("opt|file|a|s|two words", Echo("$A|$B|$C|$D|$SPACED", env, "--env-file", file, "--env", "A=opt"));
    }

    [Fact]
    public void Values_with_shell_metacharacters_arrive_verbatim()
    {
        const string nasty = "$(touch /tmp/pwned) `id` \"q\" 'x' ; \\ $HOME";
        var r = sandbox.Run(["exec", sandbox.Image, "env"], new() { ["SINGULARITYENV_NASTY"] = nasty });
        Assert.Contains("\nNASTY=" + nasty + "\n", "\n" + r.Stdout, StringComparison.Ordinal);
        Assert.False(File.Exists("/tmp/pwned"));
    }

    [Fact]
    public void Path_is_the_default_and_the_prefixes_change_it()
    {
        Assert.Equal("/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", Echo("$PATH", new() { ["PATH"] = "/host/only:/usr/bin:/bin" }));
        Assert.Equal("/pre:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:/app", Echo("$PATH", new() { ["SINGULARITYENV_PREPEND_PATH"] = "/pre", ["APPTAINERENV_APPEND_PATH"] = "/app" }));
        Assert.Equal("/bin", Echo("$PATH", new() { ["SINGULARITYENV_PATH"] = "/bin" }));
    }

    [Fact]
    public void Ld_library_path_is_not_taken_from_the_host_and_gets_the_libs_directory()
    {
        Assert.Equal("/.singularity.d/libs", Echo("$LD_LIBRARY_PATH", new() { ["LD_LIBRARY_PATH"] = "/host/lib" }));
        Assert.Equal("/mine:/.singularity.d/libs", Echo("$LD_LIBRARY_PATH", new() { ["SINGULARITYENV_LD_LIBRARY_PATH"] = "/mine" }));
    }

    [Fact]
    public void The_wrapper_leaves_no_trace_in_the_environment()
    {
        var r = sandbox.Run(["exec", sandbox.Image, "env"], new() { ["SINGULARITYENV_X"] = "1", ["SINGULARITYENV_PREPEND_PATH"] = "/p" });
        Assert.DoesNotContain("__SING", r.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("SING_USER_DEFINED", r.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("SINGULARITYENV_", r.Stdout, StringComparison.Ordinal);
        Assert.Contains("\nX=1\n", "\n" + r.Stdout, StringComparison.Ordinal);
    }
}
