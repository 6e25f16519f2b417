using Spectre.Console;

namespace CvmfsImages.Sync.CommandLine;

/// <summary>Where a command writes: its results (a Spectre console over stdout or a test's writer) and its errors.</summary>
internal sealed class CliEnvironment(IAnsiConsole console, TextWriter output, TextWriter error)
{
    public IAnsiConsole Console { get; } = console;

    /// <summary>Plain output (JSON) that must not go through markup.</summary>
    public TextWriter Output { get; } = output;

    public TextWriter Error { get; } = error;

    public int Fail(int exitCode, string message)
    {
        Error.WriteLine("cvmfs-image-sync: " + message);
        return exitCode;
    }
}
