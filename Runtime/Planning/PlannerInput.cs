using CvmfsImages.Runtime.Cli;
using CvmfsImages.Runtime.Config;
using CvmfsImages.Runtime.Diagnostics;
using CvmfsImages.Runtime.Native;
using CvmfsImages.Runtime.Nvidia;

namespace CvmfsImages.Runtime.Planning;

/// <summary>Everything the planner decides from: the request, the site policy, the caller, and the probes.</summary>
internal sealed record PlannerInput(
    Invocation Invocation,
    RuntimeConfig Config,
    HostUser User,
    IReadOnlyDictionary<string, string> Environment,
    string CurrentDirectory,
    Messages Messages)
{
    /// <summary>Finds the NVIDIA files for --nv; null when no nvliblist.conf is installed.</summary>
    public Func<NvidiaFiles?> NvidiaProbe { get; init; } = () => null;

    /// <summary>Whether host paths such as /tmp, /var/tmp and /etc/resolv.conf exist (tests may narrow it).</summary>
    public Func<string, bool> HostPathExists { get; init; } = p => PathRules.RealPath(p) is not null;

    /// <summary>The process that started this one (the key of <c>--sharens</c>).</summary>
    public Func<ParentProcess> Parent { get; init; } = ParentProcess.Current;
}
