namespace CvmfsImages.Registry.Names;

/// <summary>
/// An image reference, repository name, tag or digest that does not follow the distribution grammar. (A
/// <see cref="FormatException"/>: <see cref="InvalidDataException"/> is sealed.)
/// </summary>
public sealed class ReferenceFormatException : FormatException
{
    public ReferenceFormatException(string input, string reason)
        : base($"invalid image reference '{input}': {reason}")
    {
        Input = input;
        Reason = reason;
    }

    public ReferenceFormatException()
        : this(string.Empty, "empty")
    {
    }

    public ReferenceFormatException(string message)
        : this(message, "invalid")
    {
    }

    public ReferenceFormatException(string message, Exception innerException)
        : base(message, innerException)
    {
        Input = string.Empty;
        Reason = message;
    }

    /// <summary>The text as given (quoted in the message).</summary>
    public string Input { get; }

    /// <summary>What is wrong with it, without the input: "tag is longer than 128 characters".</summary>
    public string Reason { get; }
}
