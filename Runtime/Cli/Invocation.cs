using CvmfsImages.Runtime.Diagnostics;

namespace CvmfsImages.Runtime.Cli;

/// <summary>Everything the command line (and the bind environment variables) asked for, before any policy.</summary>
internal sealed class Invocation
{
    public ActionKind Action { get; set; } = ActionKind.Help;

    /// <summary>For <c>help ACTION</c> and <c>ACTION --help</c>: which action's usage to print.</summary>
    public ActionKind? HelpFor { get; set; }

    public MessageLevel Level { get; set; } = MessageLevel.Info;

    public string? Image { get; set; }

    /// <summary>The command and its arguments (exec), or the arguments of the runscript / shell / test.</summary>
    public IReadOnlyList<string> Arguments { get; set; } = [];

    public List<BindSpec> Binds { get; } = [];

    public string? Home { get; set; }

    public bool NoHome { get; set; }

    public bool Contain { get; set; }

    public bool ContainAll { get; set; }

    public bool CleanEnv { get; set; }

    public bool Pid { get; set; }

    public bool Ipc { get; set; }

    public bool Nv { get; set; }

    /// <summary><c>--sharens</c> (or <c>SINGULARITY_SHARENS</c>/<c>APPTAINER_SHARENS</c>): join the user namespace of this parent's other containers.</summary>
    public bool ShareNs { get; set; }

    /// <summary><c>--no-privs</c>: a root caller keeps no capability either.</summary>
    public bool NoPrivs { get; set; }

    /// <summary>Raw <c>--env</c> values, in order (each <c>K=V</c>, or a comma list of them).</summary>
    public List<string> Env { get; } = [];

    public List<string> EnvFiles { get; } = [];

    public string? Pwd { get; set; }

    public string? Workdir { get; set; }

    public List<string> Scratch { get; } = [];

    public string? Shell { get; set; }

    public bool InspectLabels { get; set; }

    public bool InspectRunscript { get; set; }

    public bool InspectEnvironment { get; set; }

    public bool InspectJson { get; set; }
}
