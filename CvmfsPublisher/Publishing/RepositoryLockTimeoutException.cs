namespace CvmfsImages.Publisher.Publishing;

/// <summary>Another publisher held the repository lock for longer than <see cref="PublisherOptions.LockTimeout"/>.</summary>
public sealed class RepositoryLockTimeoutException : TimeoutException
{
    public RepositoryLockTimeoutException()
    {
    }

    public RepositoryLockTimeoutException(string message)
        : base(message)
    {
    }

    public RepositoryLockTimeoutException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public RepositoryLockTimeoutException(string lockFile, TimeSpan waited)
        : base($"another publisher held the repository lock '{lockFile}' for more than {waited}; not publishing (Publisher:LockTimeout)")
    {
        LockFile = lockFile;
    }

    /// <summary>The lock file.</summary>
    public string? LockFile { get; }
}
