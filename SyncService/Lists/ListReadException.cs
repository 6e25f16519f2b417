namespace CvmfsImages.Sync.Lists;

/// <summary>The list could not be read at all (missing file, not text, unreachable source).</summary>
public sealed class ListReadException : IOException
{
    public ListReadException(string location, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        Location = location;
    }

    public ListReadException()
        : this(string.Empty, "the list could not be read")
    {
    }

    public ListReadException(string message)
        : this(string.Empty, message)
    {
    }

    public ListReadException(string message, Exception innerException)
        : this(string.Empty, message, innerException)
    {
    }

    /// <summary>The list's location.</summary>
    public string Location { get; }
}
