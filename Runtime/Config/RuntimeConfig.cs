using CvmfsImages.Runtime.Cli;

namespace CvmfsImages.Runtime.Config;

/// <summary>
/// The site policy from <c>singularity.conf</c>. Property defaults are Singularity's defaults (what applies when a key
/// is absent); the shipped file adds <c>bind path = /cvmfs</c>.
/// </summary>
internal sealed class RuntimeConfig
{
    public string Path { get; init; } = "(built-in defaults)";

    public bool AllowPidNs { get; set; } = true;

    public bool AllowIpcNs { get; set; } = true;

    public bool ConfigPasswd { get; set; } = true;

    public bool ConfigGroup { get; set; } = true;

    public bool ConfigResolvConf { get; set; } = true;

    public bool MountProc { get; set; } = true;

    public bool MountSys { get; set; } = true;

    public DevMode MountDev { get; set; } = DevMode.Yes;

    public bool MountDevPts { get; set; } = true;

    public bool MountHome { get; set; } = true;

    public bool MountTmp { get; set; } = true;

    /// <summary><c>bind path</c> lines in order. Absent key: none (Singularity's file ships /etc/localtime and /etc/hosts).</summary>
    public List<BindSpec> BindPaths { get; } = [];

    public bool UserBindControl { get; set; } = true;

    /// <summary>Absolute, normalised prefixes; empty means no limit.</summary>
    public List<string> LimitContainerPaths { get; } = [];

    public bool AllowContainerDir { get; set; } = true;

    public bool AlwaysUseNv { get; set; }

    /// <summary>Size of each session tmpfs, in MiB.</summary>
    public long SessionDirMaxSizeMiB { get; set; } = 16;

    /// <summary><c>allow unowned home</c>: may <c>--home</c> name a directory the caller does not own (Singularity 2.x refuses it).</summary>
    public bool AllowUnownedHome { get; set; }

    /// <summary>
    /// <c>allow setuid</c>: may the setuid starter (<c>starter-suid</c>, installed by <c>install --setuid</c>) be used on
    /// a node without unprivileged user namespaces. No when absent (the default install has no setuid part).
    /// </summary>
    public bool AllowSetuid { get; set; }

    /// <summary><c>root default capabilities</c>: full (root keeps its capabilities, Apptainer's default) or no (none).</summary>
    public bool RootKeepsCapabilities { get; set; } = true;

    /// <summary><c>trace syslog</c>: write one record per container start to the system log.</summary>
    public bool TraceSyslog { get; set; } = true;

    /// <summary><c>trace facility</c>: the syslog facility code (local0, as Singularity 2.x logs).</summary>
    public int TraceFacility { get; set; } = Trace.SyslogFacility.Local0;

    /// <summary><c>trace socket</c>: the syslog socket (journald and rsyslog both serve /dev/log).</summary>
    public string TraceSocket { get; set; } = "/dev/log";

    /// <summary>
    /// <c>trace environment</c>: the variables whose values the record carries (names, or prefixes ending in <c>*</c>);
    /// what pilots set to name the payload's owner and the batch job.
    /// </summary>
    public List<string> TraceEnvironment { get; } =
        ["GLIDEIN_*", "CONDOR_*", "_CONDOR_JOB_AD", "X509_USER_PROXY", "SLURM_JOB_ID", "PBS_JOBID", "LSB_JOBID", "JOB_ID"];
}
