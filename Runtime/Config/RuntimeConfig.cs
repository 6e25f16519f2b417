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
}
