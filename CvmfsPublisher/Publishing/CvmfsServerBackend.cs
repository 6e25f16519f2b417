namespace CvmfsImages.Publisher.Publishing;

/// <summary>
/// The <c>cvmfs_server</c> backend: <c>transaction</c>, writes under <c>MountRoot/RepositoryName</c>,
/// <c>publish -m</c>, or <c>abort -f</c> on any failure; in ingest mode images go in and out with
/// <c>cvmfs_server ingest</c> and only tags and metadata use a (short) transaction. A marker file in the staging
/// directory says "this service opened a transaction"; after a crash the next start finds it and aborts.
/// </summary>
internal sealed class CvmfsServerBackend : IRepositoryBackend
{
    private readonly PublisherOptions options;

    public CvmfsServerBackend(PublisherOptions options)
    {
        this.options = options;
        Tree = new RepositoryTree(options.TreeRoot);
        Command = new CvmfsServerCommand(options.CvmfsServerPath, options.CommandTimeout);
    }

    public RepositoryTree Tree { get; }

    internal CvmfsServerCommand Command { get; }

    internal string RepositoryName => options.RepositoryName!;

    internal string MarkerPath => Path.Combine(options.EffectiveStagingDirectory, "transaction.open");

    public async Task<string?> RecoverTransactionAsync(CancellationToken ct)
    {
        if (!File.Exists(MarkerPath))
        {
            return null;
        }

        var result = await Command.TryRunAsync(["abort", "-f", RepositoryName], null, ct).ConfigureAwait(false);
        string outcome;
        if (result.ExitCode == 0)
        {
            outcome = $"aborted the transaction on {RepositoryName} that an interrupted publish left open";
        }
        else if (SaysNotInTransaction(result))
        {
            outcome = $"an interrupted publish left no open transaction on {RepositoryName} ('{result.CommandLine}': not in a transaction)";
        }
        else
        {
            throw new CvmfsServerException(result.CommandLine, result.ExitCode, result.StandardError, result.StandardOutput);
        }

        File.Delete(MarkerPath);
        return outcome;
    }

    /// <summary>Whether a failed <c>abort</c> only said there was nothing to abort.</summary>
    internal static bool SaysNotInTransaction(CommandOutput result) =>
        (result.StandardOutput + result.StandardError).Contains("not in a transaction", StringComparison.OrdinalIgnoreCase);

    public IRepositorySession Begin(Func<string, CancellationToken, Task>? hook) => new CvmfsServerSession(this, options.UseIngest, hook);
}
