namespace CvmfsImages.Runtime;

/// <summary>
/// An error of the runtime itself (bad option, bad path, bad config line, refused request). The command prints its
/// message as one <c>FATAL:</c> line and exits 255, the way Singularity does.
/// </summary>
public sealed class RuntimeFailureException : Exception
{
    public RuntimeFailureException()
    {
    }

    public RuntimeFailureException(string message)
        : base(message)
    {
    }

    public RuntimeFailureException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>What the message is about: an option, a path or a config line (for callers that want it alone).</summary>
    public string? Subject { get; init; }
}
