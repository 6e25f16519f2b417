using System.Globalization;

namespace CvmfsImages.Runtime.Native;

/// <summary>
/// The process that started this one, named so that a reused pid does not name it again: its pid and its start time
/// (field 22 of <c>/proc/PID/stat</c>, clock ticks after boot). The key of <c>--sharens</c>: MPI ranks on one node are
/// the children of one launcher (mpirun, prted, orted, slurmstepd, a hydra proxy).
/// </summary>
internal readonly record struct ParentProcess(int Pid, ulong StartTime)
{
    /// <exception cref="RuntimeFailureException">/proc does not say (the parent already exited: re-parented to init).</exception>
    public static ParentProcess Current()
    {
        var pid = Libc.GetPPid();
        string stat;
        try
        {
            stat = File.ReadAllText($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/stat");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new RuntimeFailureException($"--sharens: cannot read the parent process {pid}: {e.Message}", e);
        }

        return new ParentProcess(pid, StartTimeOf(stat) ?? throw new RuntimeFailureException($"--sharens: cannot read the start time of the parent process {pid}"));
    }

    /// <summary>Field 22 of a <c>/proc/PID/stat</c> line; the command name (field 2) may hold spaces and parentheses.</summary>
    public static ulong? StartTimeOf(string stat)
    {
        ArgumentNullException.ThrowIfNull(stat);
        var close = stat.LastIndexOf(')');
        if (close < 0)
        {
            return null;
        }

        // After ")": field 3 (state) onwards; field 22 is the 20th of them.
        var fields = stat[(close + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return fields.Length > 19 && ulong.TryParse(fields[19], NumberStyles.None, CultureInfo.InvariantCulture, out var start) ? start : null;
    }
}
