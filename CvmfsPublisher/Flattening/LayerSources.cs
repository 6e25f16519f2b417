namespace CvmfsImages.Publisher.Flattening;

/// <summary>
/// The layer streams one flatten has opened, so that cancelling disposes them all (a blocking read of a stalled
/// network stream ends that way); a stream opened after the cancellation is disposed at once.
/// </summary>
internal sealed class LayerSources
{
    private readonly object _gate = new();
    private readonly List<Stream> _streams = [];
    private bool _cancelled;

    /// <summary>Tracks <paramref name="stream"/>; disposes it at once when the flatten is already cancelled.</summary>
    public void Add(Stream stream)
    {
        lock (_gate)
        {
            if (!_cancelled)
            {
                _streams.Add(stream);
                return;
            }
        }

        stream.Dispose();
    }

    /// <summary>Disposes every stream opened so far, and any opened later.</summary>
    public void Cancel()
    {
        Stream[] streams;
        lock (_gate)
        {
            _cancelled = true;
            streams = [.. _streams];
        }

        foreach (var stream in streams)
        {
            stream.Dispose();
        }
    }
}
