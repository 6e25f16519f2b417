namespace CvmfsImages.Publisher.Publishing;

/// <summary>
/// Where a repository's bytes go: a plain directory (journaled transactions) or a CVMFS repository through
/// <c>cvmfs_server</c> (its transactions, or ingest). Every call is made with the repository lock held.
/// </summary>
internal interface IRepositoryBackend
{
    /// <summary>The published tree (readers and writers of the tree both use it).</summary>
    RepositoryTree Tree { get; }

    /// <summary>Undoes a transaction a crash left open; returns what was done, or null when there was nothing.</summary>
    Task<string?> RecoverTransactionAsync(CancellationToken ct);

    /// <summary>Starts a session; nothing is visible to readers before <see cref="IRepositorySession.CommitAsync"/>.</summary>
    IRepositorySession Begin(Func<string, CancellationToken, Task>? hook);
}
