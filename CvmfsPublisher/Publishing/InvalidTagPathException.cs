namespace CvmfsImages.Publisher.Publishing;

/// <summary>A tag path that cannot be published (absolute, <c>..</c>, control characters, under <c>.images</c>, ...).</summary>
public sealed class InvalidTagPathException : ArgumentException
{
    public InvalidTagPathException()
    {
    }

    public InvalidTagPathException(string message)
        : base(message)
    {
    }

    public InvalidTagPathException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public InvalidTagPathException(string tagPath, string reason)
        : base($"tag path '{RepositoryLayout.Printable(tagPath)}' is not allowed: {reason}")
    {
        TagPath = tagPath;
    }

    /// <summary>The refused path, as given.</summary>
    public string? TagPath { get; }
}
