using CvmfsImages.Tests.Runtime.Support;
using Xunit;

namespace CvmfsImages.Tests.Runtime.Starter;

/// <summary>The payload runs as the caller, with the payload's exit status and signals, with and without a PID namespace.</summary>
[Collection(StarterTestGroup.Name)]
public sealed class StarterProcessTests(StarterSandbox sandbox)
{
    private static readonly TimeSpan ReadyTimeout = TimeSpan.FromSeconds(30);

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Ids_inside_equal_the_callers_and_only_they_are_mapped(bool pid)
    {
        var result = sandbox.Run([.. sandbox.Standard(pid), .. StarterSandbox.Shell("id -u; id -g; cat /proc/self/uid_map /proc/self/gid_map /proc/self/setgroups")]);

        Assert.True(result.ExitCode == 0, result.ToString());
        var lines = result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.Equal(sandbox.Uid.ToString(System.Globalization.CultureInfo.InvariantCulture), lines[0]);
        Assert.Equal(sandbox.Gid.ToString(System.Globalization.CultureInfo.InvariantCulture), lines[1]);
        Assert.Equal($"{sandbox.Uid} {sandbox.Uid} 1", string.Join(' ', lines[2].Split(' ', StringSplitOptions.RemoveEmptyEntries)));
        Assert.Equal($"{sandbox.Gid} {sandbox.Gid} 1", string.Join(' ', lines[3].Split(' ', StringSplitOptions.RemoveEmptyEntries)));
        Assert.Equal("deny", lines[4]);
    }

    [Theory]
    [InlineData(false, "true", 0)]
    [InlineData(true, "true", 0)]
    [InlineData(false, "false", 1)]
    [InlineData(true, "false", 1)]
    [InlineData(false, "exit 42", 42)]
    [InlineData(true, "exit 42", 42)]
    [InlineData(false, "kill -TERM $$", 128 + 15)]
    [InlineData(true, "kill -TERM $$", 128 + 15)]
    [InlineData(true, "kill -KILL $$", 128 + 9)]
    public void Exit_status_is_the_payloads_and_128_plus_the_signal(bool pid, string script, int expected)
    {
        var result = sandbox.Run([.. sandbox.Standard(pid), .. StarterSandbox.Shell(script)]);

        Assert.True(result.ExitCode == expected, result.ToString());
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_missing_command_exits_127_and_says_so(bool pid)
    {
        var result = sandbox.Run([.. sandbox.Standard(pid), .. StarterSandbox.Exec("no-such-command", "arg")]);

        Assert.True(result.ExitCode == 127, result.ToString());
        Assert.Contains("\"no-such-command\": executable file not found in $PATH", result.Stderr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/etc/hostname")]
    [InlineData("/etc")]
    public void A_command_that_is_not_executable_exits_126(string path)
    {
        var result = sandbox.Run([.. sandbox.Standard(pid: false), .. StarterSandbox.Exec(path)]);

        Assert.True(result.ExitCode == 126, result.ToString());
        Assert.Contains(path, result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void The_command_is_searched_in_the_PATH_of_the_ENV_ops_and_the_environment_is_exactly_the_ENV_ops()
    {
        var result = sandbox.Run([.. sandbox.Prologue(pid: false), "ENV", "PATH=/nowhere:/bin", "ENV", "ONE=a b=c", "EXEC", "1", "env"]);

        Assert.True(result.ExitCode == 0, result.ToString());
        var env = result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Order(StringComparer.Ordinal).ToArray();
        Assert.Equal(["ONE=a b=c", "PATH=/nowhere:/bin"], env);
    }

    [Fact]
    public void CHDIR_sets_the_working_directory_inside_the_image()
    {
        var result = sandbox.Run([.. sandbox.Standard(pid: false), "CHDIR", "/etc", .. StarterSandbox.Exec("pwd")]);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal("/etc\n", result.Stdout);
    }

    [Fact]
    public void Repeated_CHDIR_ops_are_candidates_and_the_first_usable_one_wins()
    {
        var result = sandbox.Run([.. sandbox.Standard(pid: false), "CHDIR", "/no/such/dir", "CHDIR", "/etc/hostname", "CHDIR", "/var",
            "CHDIR", "/etc", .. StarterSandbox.Exec("pwd")]);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal("/var\n", result.Stdout);
    }

    [Fact]
    public void A_CHDIR_that_cannot_be_entered_exits_255_naming_the_path()
    {
        var result = sandbox.Run([.. sandbox.Standard(pid: false), "CHDIR", "/no/such/dir", .. StarterSandbox.Exec("pwd")]);

        Assert.True(result.ExitCode == 255, result.ToString());
        Assert.Contains("CHDIR /no/such/dir: No such file or directory", result.Stderr, StringComparison.Ordinal);
        Assert.Empty(result.Stdout);
    }

    [Theory]
    [InlineData(false, false)]
    [InlineData(true, false)]
    [InlineData(false, true)]
    [InlineData(true, true)]
    public void The_IPC_and_PID_namespaces_are_new_exactly_when_asked(bool pid, bool ipc)
    {
        string[] ops = [.. sandbox.Prologue(pid, ipc: ipc), pid ? "PROC" : "BIND_PROC", "/proc", "ENV", "PATH=/bin",
            .. StarterSandbox.Shell("for n in ipc pid mnt user; do readlink /proc/self/ns/$n; done")];
        var result = sandbox.Run(ops);

        Assert.True(result.ExitCode == 0, result.ToString());
        var inside = result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        string Host(string ns) => new FileInfo("/proc/self/ns/" + ns).LinkTarget!;
        Assert.Equal(!ipc, inside[0] == Host("ipc"));
        Assert.Equal(!pid, inside[1] == Host("pid"));
        Assert.NotEqual(Host("mnt"), inside[2]);
        Assert.NotEqual(Host("user"), inside[3]);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void SIGTERM_sent_to_the_starter_reaches_the_payload(bool pid)
    {
        // The payload traps TERM and exits 7: only the payload itself can produce that status and line.
        const string script = "trap 'echo got-term; exit 7' TERM; echo ready; while :; do sleep 1 & wait $!; done";
        var started = sandbox.Start([.. sandbox.Standard(pid), .. StarterSandbox.Shell(script)]);

        Assert.True(started.WaitForLine("ready", ReadyTimeout), "the payload never said ready: " + started.Stderr);
        StarterSandbox.Signal(started.Process.Id, "TERM");
        var result = StarterSandbox.Run(started);

        Assert.True(result.ExitCode == 7, result.ToString());
        Assert.Contains("got-term", result.Stdout, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("HUP", 128 + 1)]
    [InlineData("INT", 128 + 2)]
    [InlineData("USR1", 128 + 10)]
    public void With_a_PID_namespace_other_signals_are_forwarded_too_and_kill_the_payload(string signal, int expected)
    {
        // The signal goes to sleep itself, not to the shell before it (busybox sh -c catches SIGINT for itself).
        var (started, _) = StartSleeper(ignoreSignals: null);
        StarterSandbox.Signal(started.Process.Id, signal);
        var result = StarterSandbox.Run(started);

        Assert.True(result.ExitCode == expected, result.ToString());
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_signal_the_caller_ignores_stays_ignored_in_the_payload_and_only_SIGPIPE_and_SIGCHLD_are_reset(bool pid)
    {
        // As for any program it execs: a script's background job ignores INT and QUIT (POSIX), and so does its
        // container. SIGPIPE and SIGCHLD are reset: the front end's .NET runtime ignores SIGPIPE, not the caller.
        var result = StarterSandbox.Run(sandbox.Start([.. sandbox.Standard(pid), .. StarterSandbox.Exec("cat", "/proc/self/status")], ignoreSignals: "INT,USR2,PIPE,CHLD"));

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal("INT USR2", SignalDispositions.IgnoredNames(result.Stdout));
    }

    [Fact]
    public void With_a_PID_namespace_a_signal_the_caller_ignores_is_forwarded_and_ignored_by_the_payload()
    {
        var (started, _) = StartSleeper(ignoreSignals: "INT");

        // Sent in this order, they are forwarded in this order: had INT not been ignored, the payload would die of it.
        StarterSandbox.Signal(started.Process.Id, "INT");
        StarterSandbox.Signal(started.Process.Id, "TERM");
        var result = StarterSandbox.Run(started);

        Assert.True(result.ExitCode == 128 + 15, result.ToString());
    }

    [Fact]
    public void When_the_outer_starter_is_killed_the_PID_namespace_and_the_payload_go_with_it()
    {
        // SIGKILL cannot be forwarded; PR_SET_PDEATHSIG on PID 1 ends the namespace instead of leaving an orphan.
        var (started, marker) = StartSleeper(ignoreSignals: null);

        StarterSandbox.Signal(started.Process.Id, "KILL");
        var result = StarterSandbox.Run(started);

        Assert.Equal(128 + 9, result.ExitCode);
        StarterSandbox.PollUntil(() => ProcessesWithCommandLine(marker).Count == 0, ReadyTimeout); // the kernel tears the namespace down
        Assert.Empty(ProcessesWithCommandLine(marker));
    }

    /// <summary>
    /// A PID-namespace run whose payload is <c>sleep MARKER</c>, returned once sleep has been exec'd: the shell says
    /// "ready" just before its exec, and a signal that lands in between would test the shell, not the starter.
    /// </summary>
    private (StartedStarter Started, string Marker) StartSleeper(string? ignoreSignals)
    {
        var seconds = "60" + Random.Shared.Next(1000, 9999).ToString(System.Globalization.CultureInfo.InvariantCulture);
        var started = sandbox.Start([.. sandbox.Standard(pid: true), .. StarterSandbox.Shell($"echo ready; exec sleep {seconds}")], ignoreSignals: ignoreSignals);
        Assert.True(started.WaitForLine("ready", ReadyTimeout), "the payload never said ready: " + started.Stderr);
        var marker = "sleep\0" + seconds;
        Assert.True(StarterSandbox.PollUntil(() => ProcessesWithCommandLine(marker).Count > 0, ReadyTimeout), "the payload never exec'd sleep");
        return (started, marker);
    }

    private static List<int> ProcessesWithCommandLine(string commandLine)
    {
        var found = new List<int>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid))
            {
                continue;
            }

            try
            {
                if (File.ReadAllText(Path.Combine(dir, "cmdline")).TrimEnd('\0') == commandLine)
                {
                    found.Add(pid);
                }
            }
            catch (IOException)
            {
                // The process exited while the list was read.
            }
            catch (UnauthorizedAccessException)
            {
            }
        }

        return found;
    }

    [Fact]
    public void PID_1_reaps_orphans_and_exits_with_the_payloads_status()
    {
        // The orphaned background sleep becomes PID 1's child; the payload's status still wins and nothing hangs.
        var result = sandbox.Run([.. sandbox.Standard(pid: true), .. StarterSandbox.Shell("(sleep 600 &) ; sh -c 'exit 0' & wait; exit 5")]);

        Assert.True(result.ExitCode == 5, result.ToString());
    }
}
