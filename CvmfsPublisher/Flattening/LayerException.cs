namespace CvmfsImages.Publisher.Flattening;

/// <summary>
/// A layer could not be applied: bad compression, a DiffID mismatch, a truncated stream, or an entry refused for
/// safety. Carries the layer's digest and, where one is to blame, the entry's name as it appears in the tar.
/// </summary>
/// <remarks>
/// The contract named <see cref="InvalidDataException"/> as the base class, but that type is sealed; this derives
/// from <see cref="Exception"/> directly (not <see cref="IOException"/>, so that callers treating I/O errors as
/// transient do not retry a malformed layer).
/// </remarks>
public class LayerException : Exception
{
    public LayerException()
        : this("The layer could not be applied.", string.Empty)
    {
    }

    public LayerException(string message)
        : this(message, string.Empty)
    {
    }

    public LayerException(string message, Exception innerException)
        : this(message, string.Empty, null, innerException)
    {
    }

    public LayerException(string message, string layerDigest, string? entryName = null, Exception? innerException = null)
        : base(message, innerException)
    {
        LayerDigest = layerDigest;
        EntryName = entryName;
    }

    /// <summary>The digest of the layer at fault.</summary>
    public string LayerDigest { get; }

    /// <summary>The tar entry at fault, as named in the tar; null when the layer as a whole is at fault.</summary>
    public string? EntryName { get; }
}
