namespace CvmfsImages.Runtime;

/// <summary>Entry point of the <c>singularity</c> front end. The actions arrive with the Runtime issue.</summary>
internal static class Program
{
    /// <summary>The runtime's own errors exit 255, as Singularity's do.</summary>
    private const int RuntimeError = 255;

    private static int Main()
    {
        Console.Error.WriteLine("FATAL:   the runtime is not implemented yet (see the Runtime issue).");
        return RuntimeError;
    }
}
