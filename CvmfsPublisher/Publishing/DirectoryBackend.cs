namespace CvmfsImages.Publisher.Publishing;

/// <summary>
/// The <c>directory</c> backend: a plain tree. Images are renamed in from the staging directory (same file system),
/// tags replaced by renaming a temporary link over the old one. A transaction is an undo journal in the staging
/// directory, written ahead of every change: abort, or the next start after a crash, replays it backwards.
/// </summary>
internal sealed class DirectoryBackend : IRepositoryBackend
{
    private readonly string staging;

    public DirectoryBackend(string root, string staging)
    {
        Tree = new RepositoryTree(root);
        this.staging = staging;
    }

    public RepositoryTree Tree { get; }

    internal string JournalPath => Path.Combine(staging, "transaction.journal");

    public Task<string?> RecoverTransactionAsync(CancellationToken ct)
    {
        if (!File.Exists(JournalPath))
        {
            return Task.FromResult<string?>(null);
        }

        var undone = DirectorySession.Undo(Tree, JournalPath);
        File.Delete(JournalPath);
        foreach (var trash in Directory.EnumerateDirectories(staging, "trash-*"))
        {
            TreeOperations.DeleteTree(trash);
        }

        return Task.FromResult<string?>($"rolled back an interrupted transaction ({undone} journaled changes undone)");
    }

    public IRepositorySession Begin(Func<string, CancellationToken, Task>? hook) => new DirectorySession(Tree, staging, JournalPath, hook);
}
