namespace CvmfsImages.Sync.Execution;

/// <summary>
/// A registry gave no response earlier in this pass, so it is not asked again until the next one
/// (<see cref="UnreachableRegistries"/>). Carries the registry, the list line whose request found it down, and that
/// request's cause (also the inner exception).
/// </summary>
internal sealed class RegistryUnreachableException : Exception
{
    public RegistryUnreachableException()
        : this("a registry did not answer")
    {
    }

    public RegistryUnreachableException(string message)
        : this(message, null)
    {
    }

    public RegistryUnreachableException(string message, Exception? innerException)
        : base(message, innerException)
    {
        Registry = string.Empty;
        FirstFailure = message;
    }

    public RegistryUnreachableException(string registry, int lineNumber, string firstFailure, Exception? innerException)
        : base($"registry {registry} did not answer earlier in this pass (line {lineNumber}: {firstFailure}); not asked again until the next pass", innerException)
    {
        Registry = registry;
        LineNumber = lineNumber;
        FirstFailure = firstFailure;
    }

    /// <summary>The registry as the list names it.</summary>
    public string Registry { get; }

    /// <summary>The list line whose request found the registry down.</summary>
    public int LineNumber { get; }

    /// <summary>That request's cause.</summary>
    public string FirstFailure { get; }
}
