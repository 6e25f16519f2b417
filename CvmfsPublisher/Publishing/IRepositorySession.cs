namespace CvmfsImages.Publisher.Publishing;

/// <summary>
/// One transaction. Paths are repository-relative and already validated. Ingest sessions add and remove images
/// before any other write (each ingest is its own publish); other sessions take the calls in any order.
/// Disposing without <see cref="CommitAsync"/> aborts.
/// </summary>
internal interface IRepositorySession : IAsyncDisposable
{
    /// <summary>Adds the staged tree as <see cref="RepositoryLayout.ImageDirectory"/>; the image must not exist yet.</summary>
    Task AddImageAsync(string configDigest, string stagedTree, CancellationToken ct);

    /// <summary>Removes the image directory (not its metadata) when it is there.</summary>
    Task RemoveImageAsync(string configDigest, CancellationToken ct);

    Task WriteFileAsync(string relativePath, ReadOnlyMemory<byte> content, CancellationToken ct);

    Task DeleteFileAsync(string relativePath, CancellationToken ct);

    /// <summary>Creates or atomically replaces the symlink at <paramref name="relativePath"/>.</summary>
    Task SetSymlinkAsync(string relativePath, string target, CancellationToken ct);

    /// <summary>
    /// Says which symlinks the next <see cref="SetSymlinkAsync"/> calls are about to set, so that a session can
    /// prepare them together (the directory backend journals them with one flush to disk instead of one per link).
    /// A hint only: any of them may never be set, and a call for a path not named here works as always.
    /// </summary>
    void ExpectSymlinks(IReadOnlyList<string> relativePaths);

    /// <summary>Removes the symlink when there, and the directories it leaves empty.</summary>
    Task DeleteSymlinkAsync(string relativePath, CancellationToken ct);

    /// <summary>Makes everything visible at once (publish); throws when that fails (the caller then aborts).</summary>
    Task CommitAsync(string message, CancellationToken ct);

    /// <summary>Discards everything since the start (images already ingested stay, unreferenced).</summary>
    Task AbortAsync(CancellationToken ct);
}
