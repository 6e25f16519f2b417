using CvmfsImages.Runtime;
using CvmfsImages.Runtime.Cli;
using CvmfsImages.Runtime.Diagnostics;
using Xunit;

namespace CvmfsImages.Tests.Runtime.Cli;

public sealed class CommandLineParserTests
{
    private static readonly Dictionary<string, string> NoEnv = [];

    private static Invocation Parse(params string[] args) => CommandLineParser.Parse(args, NoEnv);

    [Fact]
    public void Options_stop_at_the_image_so_the_payload_keeps_its_own()
    {
        var i = Parse("exec", "-B", "/a", "--cleanenv", "/img", "ls", "-l", "--bind", "-e");
        Assert.Equal(ActionKind.Exec, i.Action);
        Assert.Equal("/img", i.Image);
        Assert.Equal(["ls", "-l", "--bind", "-e"], i.Arguments);
        Assert.True(i.CleanEnv);
        Assert.Equal("/a", Assert.Single(i.Binds).Source);
    }

    [Fact]
    public void Short_flags_cluster_and_values_attach()
    {
        var i = Parse("exec", "-ceB/x:/y", "-W=/w", "-H", "/h:/home/u", "--pwd=/p", "/img", "true");
        Assert.True(i.Contain);
        Assert.True(i.CleanEnv);
        Assert.Equal("/y", Assert.Single(i.Binds).Destination);
        Assert.Equal("/w", i.Workdir);
        Assert.Equal("/h:/home/u", i.Home);
        Assert.Equal("/p", i.Pwd);
    }

    [Fact]
    public void Containall_implies_contain_pid_ipc_cleanenv()
    {
        var i = Parse("run", "-C", "/img");
        Assert.True(i.Contain && i.Pid && i.Ipc && i.CleanEnv);
        Assert.Empty(i.Arguments);
    }

    [Fact]
    public void Global_levels_before_or_after_the_action()
    {
        Assert.Equal(MessageLevel.Debug, Parse("-d", "exec", "/img", "true").Level);
        Assert.Equal(MessageLevel.Verbose, Parse("exec", "-v", "/img", "true").Level);
        Assert.Equal(MessageLevel.Warning, Parse("--quiet", "exec", "/img", "true").Level);
        Assert.Equal(MessageLevel.Error, Parse("-s", "exec", "/img", "true").Level);
    }

    [Fact]
    public void Shell_s_is_the_shell_not_silent()
    {
        var i = Parse("shell", "-s", "/bin/bash", "/img");
        Assert.Equal("/bin/bash", i.Shell);
        Assert.Equal(MessageLevel.Info, i.Level);
        Assert.Equal(ActionKind.Shell, i.Action);
    }

    [Fact]
    public void Repeated_and_listed_values_accumulate_env_binds_first()
    {
        var env = new Dictionary<string, string> { ["SINGULARITY_BIND"] = "/e1", ["APPTAINER_BIND"] = "/e2:/x", ["SINGULARITY_BINDPATH"] = "/e0" };
        var i = CommandLineParser.Parse(["exec", "-B", "/c1,/c2", "--bind=/c3", "--env", "A=1", "--env", "B=2", "-S", "/s1,/s2", "/img", "true"], env);
        Assert.Equal(["/e0", "/e1", "/e2", "/c1", "/c2", "/c3"], i.Binds.Select(b => b.Source));
        Assert.Equal(["A=1", "B=2"], i.Env);
        Assert.Equal(["/s1", "/s2"], i.Scratch);
    }

    [Fact]
    public void Double_dash_ends_options()
    {
        var i = Parse("exec", "--", "-weird-image-name", "true");
        Assert.Equal("-weird-image-name", i.Image);
    }

    [Fact]
    public void Bool_flags_accept_true_and_false()
    {
        Assert.True(Parse("exec", "--pid=true", "/img", "x").Pid);
        Assert.False(Parse("exec", "--pid=false", "/img", "x").Pid);
        var e = Assert.Throws<RuntimeFailureException>(() => Parse("exec", "--pid=maybe", "/img", "x"));
        Assert.Contains("--pid takes no value", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Inspect_flags()
    {
        var i = Parse("inspect", "-l", "--json", "-re", "/img");
        Assert.True(i.InspectLabels && i.InspectJson && i.InspectRunscript && i.InspectEnvironment);
    }

    [Fact]
    public void Help_and_version()
    {
        Assert.Equal(ActionKind.Version, Parse("--version").Action);
        Assert.Equal(ActionKind.Exec, Parse("help", "exec").HelpFor);
        Assert.Equal(ActionKind.Help, Parse("--help").HelpFor);
        Assert.Equal(ActionKind.Run, Parse("run", "--help").HelpFor);
    }

    [Theory]
    [InlineData("unknown option --frobnicate for 'exec'", "exec", "--frobnicate", "/img", "true")]
    [InlineData("unknown option -Z for 'exec'", "exec", "-Z", "/img", "true")]
    [InlineData("unknown option -x for 'exec'", "exec", "-cx", "/img", "true")]
    [InlineData("option --bind needs a value", "exec", "--bind")]
    [InlineData("option -B (--bind) needs a value", "exec", "-B")]
    [InlineData("exec: no command given", "exec", "/img")]
    [InlineData("exec: no image given", "exec", "-c")]
    [InlineData("unknown action 'exex'", "exex", "/img")]
    [InlineData("help: unknown action 'bogus' (exec, shell, run, test, inspect)", "help", "bogus")]
    [InlineData("help: one action at most", "help", "exec", "run")]
    [InlineData("instance: instances (instance start/list/stop) are not supported", "instance", "list")]
    [InlineData("help instance: instances", "help", "instance")]
    [InlineData("selftest is not supported", "selftest")]
    [InlineData("--app a: SCIF apps are not supported", "exec", "--app", "a", "/img", "true")]
    [InlineData("--app a: SCIF apps are not supported", "inspect", "--app=a", "/img")]
    [InlineData("--sharens cannot be combined with -p/--pid", "exec", "--sharens", "-p", "/img", "true")]
    [InlineData("--sharens cannot be combined with -i/--ipc", "exec", "-i", "--sharens", "/img", "true")]
    [InlineData("--sharens cannot be combined with --containall", "run", "--sharens", "-C", "/img")]
    [InlineData("inspect: unexpected argument 'extra'", "inspect", "/img", "extra")]
    [InlineData("unknown option --bind for 'inspect'", "inspect", "--bind", "/a", "/img")]
    [InlineData("--bind: invalid bind spec '/a:/b:xx'", "exec", "-B", "/a:/b:xx", "/img", "true")]
    public void Bad_command_lines_name_the_culprit(string expected, params string[] args)
    {
        var e = Assert.Throws<RuntimeFailureException>(() => Parse(args));
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void No_action_is_the_general_help_and_action_help_is_that_action_s()
    {
        Assert.Equal(ActionKind.Help, Parse().HelpFor);
        Assert.Equal(ActionKind.Help, Parse("-d").HelpFor);
        Assert.Equal(ActionKind.Help, Parse("help").HelpFor);
        Assert.Equal(ActionKind.Exec, Parse("exec", "help").HelpFor);
        Assert.Equal(ActionKind.Shell, Parse("shell", "help").HelpFor);
        Assert.Equal(ActionKind.Inspect, Parse("inspect", "help").HelpFor);
        // Anything after it makes "help" the image, as it is for exec's command.
        var i = Parse("exec", "help", "ls");
        Assert.Null(i.HelpFor);
        Assert.Equal("help", i.Image);
        Assert.Equal("./help", Parse("run", "./help").Image);
    }

    [Fact]
    public void Sharens_from_the_option_or_apptainer_s_variables()
    {
        Assert.True(Parse("exec", "--sharens", "/img", "x").ShareNs);
        Assert.False(Parse("exec", "/img", "x").ShareNs);
        Assert.True(CommandLineParser.Parse(["exec", "/img", "x"], new Dictionary<string, string> { ["APPTAINER_SHARENS"] = "1" }).ShareNs);
        Assert.True(CommandLineParser.Parse(["exec", "/img", "x"], new Dictionary<string, string> { ["SINGULARITY_SHARENS"] = "TRUE" }).ShareNs);
        Assert.False(CommandLineParser.Parse(["exec", "/img", "x"], new Dictionary<string, string> { ["SINGULARITY_SHARENS"] = "0" }).ShareNs);
        Assert.True(Parse("exec", "--no-privs", "/img", "x").NoPrivs);
    }

    [Theory]
    [InlineData("SINGULARITY_TARGET_UID")]
    [InlineData("SINGULARITY_TARGET_GID")]
    [InlineData("APPTAINER_TARGET_UID")]
    public void Target_uid_variables_are_refused_naming_them(string variable)
    {
        var e = Assert.Throws<RuntimeFailureException>(() => CommandLineParser.Parse(["exec", "/img", "id"], new Dictionary<string, string> { [variable] = "1000" }));
        Assert.StartsWith($"{variable}=1000: running the container as another user is not supported", e.Message, StringComparison.Ordinal);
        Assert.Equal(variable, e.Subject);
        Assert.Null(CommandLineParser.Parse(["exec", "/img", "id"], new Dictionary<string, string> { [variable] = string.Empty }).HelpFor);
    }

    [Fact]
    public void Bad_bind_variable_names_the_variable()
    {
        var env = new Dictionary<string, string> { ["APPTAINER_BIND"] = "/a:/b:bogus" };
        var e = Assert.Throws<RuntimeFailureException>(() => CommandLineParser.Parse(["exec", "/img", "true"], env));
        Assert.StartsWith("APPTAINER_BIND: invalid bind spec", e.Message, StringComparison.Ordinal);
    }
}
