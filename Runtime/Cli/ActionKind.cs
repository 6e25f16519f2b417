namespace CvmfsImages.Runtime.Cli;

/// <summary>What the command line asks for.</summary>
internal enum ActionKind
{
    Help,
    Version,
    Exec,
    Shell,
    Run,
    Test,
    Inspect,
}
