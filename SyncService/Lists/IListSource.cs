namespace CvmfsImages.Sync.Lists;

/// <summary>Where the image list comes from: a local file, a GitHub repository's default branch.</summary>
public interface IListSource
{
    /// <summary>
    /// Reads the list. Returns null when it is unchanged since the last successful read of this instance (so a poll
    /// costs little); the first read always returns a snapshot. Throws when the list cannot be read (the caller keeps
    /// what is published and tries again later).
    /// </summary>
    Task<ListSnapshot?> ReadAsync(CancellationToken ct);
}
