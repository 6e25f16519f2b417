namespace CvmfsImages.Tests.Runtime.Starter;

/// <summary>What one run of the starter produced.</summary>
public sealed record StarterResult(int ExitCode, string Stdout, string Stderr)
{
    public override string ToString() => $"exit {ExitCode}\n--- stdout\n{Stdout}\n--- stderr\n{Stderr}";
}
