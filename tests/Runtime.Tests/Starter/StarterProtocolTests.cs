using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Xunit;

namespace CvmfsImages.Tests.Runtime.Starter;

/// <summary>The op list: what is refused (exit 255 with one clear line), the fd transport, and DEBUG.</summary>
[Collection(StarterTestGroup.Name)]
public sealed partial class StarterProtocolTests(StarterSandbox sandbox)
{
    public static TheoryData<string[], string> BadOpLists => new()
    {
        { ["BOGUS", "1"], "unknown op \"BOGUS\"" },
        { ["BIND", "/a"], "BIND: needs 3 arguments, got 1" },
        { ["BIND", "/a", "/b", "rx", "EXEC", "1", "true"], "the mode must be ro or rw, not \"rx\"" },
        { ["BIND", "relative", "/b", "ro", "EXEC", "1", "true"], "\"relative\" is not an absolute path" },
        { ["TMPFS", "/tmp", "-1", "EXEC", "1", "true"], "\"-1\" is not a decimal number" },
        { ["TMPFS", "/tmp", "0x10", "EXEC", "1", "true"], "\"0x10\" is not a decimal number" },
        { ["ENV", "NOEQUALS", "EXEC", "1", "true"], "\"NOEQUALS\" is not KEY=VALUE" },
        { ["ENV", "=value", "EXEC", "1", "true"], "\"=value\" is not KEY=VALUE" },
        { ["EXEC", "2", "true"], "<argc> is 2 but 1 words follow it" },
        { ["EXEC", "1", "true", "ENV", "A=b"], "<argc> is 1 but 3 words follow it" },
        { ["EXEC", "0"], "the payload needs at least argv0" },
        { ["EXEC"], "EXEC: missing <argc>" },
        { ["CHDIR", "/"], "the op list must end with EXEC" },
        { ["ROOT", "/", "EXEC", "1", "true"], "the op list must start with USER, NAMESPACES, ROOT" },
        { ["USER", "0", "0", "EXEC", "1", "true"], "the op list must start with USER, NAMESPACES, ROOT" },
        { ["DEBUG", "2", "EXEC", "1", "true"], "2 is out of range (at most 1)" },
        { ["MKDIR", "/", "EXEC", "1", "true"], "MKDIR /: the path must end in a name" },
        // A newline in a value cannot forge a second message line.
        { ["BIND", "/a\nFATAL:   forged", "/b", "rx", "EXEC", "1", "true"], "BIND /a FATAL:   forged /b: the mode must be ro or rw" },
    };

    [Theory]
    [MemberData(nameof(BadOpLists))]
    public void A_bad_op_list_exits_255_with_a_clear_message_and_runs_nothing(string[] tail, string message)
    {
        // Parsing comes first: nothing is created or executed when any op is bad.
        var result = sandbox.Run([.. sandbox.Prologue(pid: false), .. tail]);

        Assert.True(result.ExitCode == 255, result.ToString());
        Assert.Empty(result.Stdout);
        var line = Assert.Single(result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("FATAL:   starter: ", line, StringComparison.Ordinal);
        Assert.Contains(message, line, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(new string[0], "the first argument must be CVMFS-IMAGES-STARTER-1")]
    [InlineData(new[] { "CVMFS-IMAGES-STARTER-2", "USER", "0", "0" }, "the first argument must be CVMFS-IMAGES-STARTER-1")]
    [InlineData(new[] { StarterSandbox.Magic, "--ops-fd" }, "--ops-fd takes exactly one argument")]
    [InlineData(new[] { StarterSandbox.Magic, "--ops-fd", "5" }, "--ops-fd 5: cannot read the ops: Bad file descriptor")]
    [InlineData(new[] { StarterSandbox.Magic, "--ops-fd", "0" }, "--ops-fd 0: the fd must be 3 or above")]
    [InlineData(new[] { StarterSandbox.Magic, "--ops-fd", "5", "EXEC" }, "--ops-fd takes exactly one argument")]
    public void A_bad_command_line_exits_255(string[] argv, string message)
    {
        var result = StarterSandbox.Run(sandbox.Start(argv, rawArgv: true));

        Assert.True(result.ExitCode == 255, result.ToString());
        Assert.Contains(message, result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void A_USER_op_with_someone_elses_ids_is_refused()
    {
        var other = (sandbox.Uid + 1).ToString(CultureInfo.InvariantCulture);
        var result = sandbox.Run(["USER", other, sandbox.Gid.ToString(CultureInfo.InvariantCulture), .. sandbox.Prologue(pid: false)[3..], .. StarterSandbox.Exec("/bin/true")]);

        Assert.True(result.ExitCode == 255, result.ToString());
        Assert.Contains("maps only the caller's own ids", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Ops_over_an_fd_work_and_keep_the_environment_out_of_the_command_line()
    {
        // The NUL-terminated words go in a file the shell opens as fd 5; the payload's environment then never
        // shows in /proc/<pid>/cmdline (world-readable), here checked on PID 1, which is the starter.
        string[] ops = [.. sandbox.Standard(pid: true), "ENV", "TOKEN=very secret value", .. StarterSandbox.Shell(
            "echo \"$TOKEN\"; tr '\\0' ' ' < /proc/1/cmdline")];
        var file = Path.Combine(sandbox.Root, "ops-" + Guid.NewGuid().ToString("N"));
        File.WriteAllBytes(file, Encoding.UTF8.GetBytes(string.Concat(ops.Select(o => o + "\0"))));
        File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.OtherRead);

        var result = StarterSandbox.Run(sandbox.Start([StarterSandbox.Magic, "--ops-fd", "5"], shellSetup: $"exec 5<{file}", rawArgv: true));

        Assert.True(result.ExitCode == 0, result.ToString());
        var lines = result.Stdout.Split('\n');
        Assert.Equal("very secret value", lines[0]);
        Assert.Equal($"{sandbox.Starter} {StarterSandbox.Magic} --ops-fd 5", lines[1].Trim());
    }

    [Fact]
    public void Ops_over_an_fd_must_be_NUL_terminated()
    {
        var file = Path.Combine(sandbox.Root, "ops-unterminated");
        File.WriteAllText(file, "USER\01\0NAMESPACES");
        File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.OtherRead);

        var result = StarterSandbox.Run(sandbox.Start([StarterSandbox.Magic, "--ops-fd", "5"], shellSetup: $"exec 5<{file}", rawArgv: true));

        Assert.True(result.ExitCode == 255, result.ToString());
        Assert.Contains("the ops must be NUL-terminated words", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void DEBUG_writes_Singularity_format_messages_on_stderr()
    {
        var result = sandbox.Run([.. sandbox.Standard(pid: true), "DEBUG", "1", .. StarterSandbox.Exec("true")]);

        Assert.True(result.ExitCode == 0, result.ToString());
        var lines = result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.NotEmpty(lines);
        Assert.All(lines, line => Assert.Matches(DebugLine(), line));
        Assert.Contains(lines, l => l.Contains($"[U={sandbox.Uid},P=1]", StringComparison.Ordinal) && l.Contains("mount_proc()", StringComparison.Ordinal));
    }

    [Fact]
    public void Without_DEBUG_a_successful_run_writes_nothing_on_stderr()
    {
        var result = sandbox.Run([.. sandbox.Standard(pid: true), .. StarterSandbox.Exec("true")]);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Empty(result.Stderr);
    }

    [GeneratedRegex(@"^DEBUG   \[U=\d+,P=\d+\] +[a-z_]+\(\) +\S.*$")]
    private static partial Regex DebugLine();
}
