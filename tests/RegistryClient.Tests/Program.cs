namespace CvmfsImages.Tests.RegistryClient;

/// <summary>
/// The test executable's entry point: xunit's runner, or, with the first argument <see cref="CachePullChild.Verb"/>,
/// one of the processes that the cross-process cache test runs side by side on one blob cache.
/// </summary>
public static class Program
{
    public static async Task<int> Main(string[] args)
    {
        ArgumentNullException.ThrowIfNull(args);
        if (args.Length > 0 && args[0] == CachePullChild.Verb)
        {
            return await CachePullChild.RunAsync(args[1..]);
        }

        return await Xunit.Runner.InProc.SystemConsole.ConsoleRunner.Run(args);
    }
}
