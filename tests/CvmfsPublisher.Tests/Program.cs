using CvmfsImages.Tests.CvmfsPublisher.Publishing;

namespace CvmfsImages.Tests.CvmfsPublisher;

/// <summary>
/// The test executable's entry point: xunit's runner, or, with the first argument <see cref="CrashChild.Verb"/>,
/// the child process that the crash tests kill -9 half-way through a publish; with <see cref="UnreadableChild.Verb"/>,
/// the one that publishes where a directory cannot be read.
/// </summary>
public static class Program
{
    public static async Task<int> Main(string[] args)
    {
        ArgumentNullException.ThrowIfNull(args);
        if (args.Length > 0 && args[0] == CrashChild.Verb)
        {
            return await CrashChild.RunAsync(args[1..]);
        }

        if (args.Length > 0 && args[0] == UnreadableChild.Verb)
        {
            return await UnreadableChild.RunAsync(args[1..]);
        }

        return await Xunit.Runner.InProc.SystemConsole.ConsoleRunner.Run(args);
    }
}
