using CvmfsImages.Runtime.Cli;
using CvmfsImages.Runtime.Config;
using CvmfsImages.Runtime.Diagnostics;
using CvmfsImages.Runtime.Native;
using CvmfsImages.Runtime.Planning;

namespace CvmfsImages.Runtime.Trace;

/// <summary>
/// Traceability: "who used worker node X at time Y" answered from the site's own logs. For every container start,
/// before the starter runs (so the payload can neither forge nor suppress it), one record goes to the system log
/// (<c>trace syslog</c>, <c>trace facility</c>, <c>trace socket</c>, <c>trace environment</c> in the config). A
/// missing syslog socket is not an error (a debug message); any other failure is a warning, and the job still runs.
/// </summary>
internal static class TraceLog
{
    public static void Write(RuntimeConfig config, Invocation invocation, ContainerPlan plan, HostUser user, string currentDirectory, IReadOnlyDictionary<string, string> environment, Messages messages)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(invocation);
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(user);
        ArgumentNullException.ThrowIfNull(messages);
        if (!config.TraceSyslog)
        {
            return;
        }

        var now = DateTimeOffset.UtcNow;
        var pid = Libc.GetPid();
        var input = new TraceInput(
            now,
            user.Uid,
            user.Name,
            pid,
            Libc.GetPPid(),
            ActionName(invocation.Action),
            plan.GivenImage,
            plan.ImagePath,
            PublishedImage.Find(plan.ImagePath, user.Uid),
            currentDirectory,
            plan.Command,
            environment,
            config.TraceEnvironment);
        var text = TraceRecord.Format(input);
        var datagram = Syslog.Frame(config.TraceFacility, pid, Libc.LocalTime(now.ToUnixTimeSeconds()), text);
        var error = Syslog.Send(config.TraceSocket, datagram);
        if (error is null || error.NoDaemon)
        {
            if (messages.IsDebug)
            {
                messages.Debug(error is null ? $"Trace record sent to {config.TraceSocket}: {text}" : $"No trace record: nothing listens on {config.TraceSocket} ({error})", "Trace");
            }
        }
        else
        {
            messages.Warning($"could not write the trace record to {config.TraceSocket}: {error}");
        }
    }

    // Not Enum.ToString: in the NativeAOT build that reads enum metadata on every job.
    private static string ActionName(ActionKind action) => action switch
    {
        ActionKind.Run => "run",
        ActionKind.Shell => "shell",
        ActionKind.Test => "test",
        ActionKind.Inspect => "inspect",
        _ => "exec",
    };
}
