namespace CvmfsImages.Publisher.Flattening;

/// <summary>
/// Raised by the tree writer when an entry must not be written (it would leave the root, replace the root, loop
/// through links, or link to something missing). The layer applier turns it into a <see cref="LayerException"/>
/// naming the layer and the entry.
/// </summary>
internal sealed class EntryRefusedException : Exception
{
    public EntryRefusedException()
    {
    }

    public EntryRefusedException(string message)
        : base(message)
    {
    }

    public EntryRefusedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
