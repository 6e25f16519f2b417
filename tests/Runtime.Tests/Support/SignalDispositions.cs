using CvmfsImages.TestSupport;

namespace CvmfsImages.Tests.Runtime.Support;

/// <summary>
/// The signal dispositions the tests start the real binaries with. An ignored signal survives fork and execve, and
/// the runtime keeps it ignored in the payload, as any program it execs would (PROTOCOL.md, "Signals"). A test
/// runner started as a background job of a non-interactive shell (<c>./test.sh &gt; log &amp;</c>) has SIGINT and
/// SIGQUIT ignored (POSIX), and so would every payload: a test that sends SIGINT would then wait for nothing. So the
/// binaries start through <c>env --default-signal=INT,QUIT</c>, and a test that wants an ignored signal says so.
/// </summary>
public static class SignalDispositions
{
    /// <summary>The command words to put before the binary: INT and QUIT at their defaults, <paramref name="ignore"/> ignored.</summary>
    public static string[] Prefix(string? ignore = null)
    {
        var env = RequiredTool.Require("env", "coreutils");
        return ignore is null
            ? [env, "--default-signal=INT,QUIT"]
            : [env, "--default-signal=INT,QUIT", "--ignore-signal=" + ignore];
    }

    /// <summary>The names of the signals set in a <c>SigIgn:</c> mask of /proc/PID/status (hex), e.g. "INT QUIT".</summary>
    public static string IgnoredNames(string statusText)
    {
        var line = statusText.Split('\n').First(l => l.StartsWith("SigIgn:", StringComparison.Ordinal));
        var mask = Convert.ToUInt64(line["SigIgn:".Length..].Trim(), 16);
        string[] names = ["HUP", "INT", "QUIT", "ILL", "TRAP", "ABRT", "BUS", "FPE", "KILL", "USR1", "SEGV", "USR2", "PIPE", "ALRM", "TERM", "STKFLT", "CHLD", "CONT", "STOP", "TSTP", "TTIN", "TTOU", "URG", "XCPU", "XFSZ", "VTALRM", "PROF", "WINCH", "POLL", "PWR", "SYS"];
        return string.Join(' ', names.Where((_, i) => (mask & (1UL << i)) != 0));
    }
}
