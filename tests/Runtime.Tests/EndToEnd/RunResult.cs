namespace CvmfsImages.Tests.Runtime.EndToEnd;

/// <summary>What one run of the real <c>singularity</c> command gave.</summary>
public sealed record RunResult(int ExitCode, string Stdout, string Stderr)
{
    public override string ToString() => $"exit {ExitCode}\n--- stdout\n{Stdout}\n--- stderr\n{Stderr}";
}
