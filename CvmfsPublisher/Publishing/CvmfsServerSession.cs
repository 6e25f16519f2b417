using System.Globalization;
using CvmfsImages.Publisher.Native;

namespace CvmfsImages.Publisher.Publishing;

/// <summary>One <c>cvmfs_server</c> transaction, opened at the first write (see <see cref="CvmfsServerBackend"/>).</summary>
internal sealed class CvmfsServerSession : IRepositorySession
{
    private readonly CvmfsServerBackend backend;
    private readonly bool ingest;
    private readonly Func<string, CancellationToken, Task>? hook;
    private bool open;

    public CvmfsServerSession(CvmfsServerBackend backend, bool ingest, Func<string, CancellationToken, Task>? hook)
    {
        this.backend = backend;
        this.ingest = ingest;
        this.hook = hook;
    }

    private RepositoryTree Tree => backend.Tree;

    public async Task AddImageAsync(string configDigest, string stagedTree, CancellationToken ct)
    {
        var relative = RepositoryLayout.ImageDirectory(configDigest);
        if (ingest)
        {
            RequireNoTransaction("ingest an image");
            // No -c: the tar holds the image's .cvmfscatalog (PrepareStagedTree), which makes it a nested catalog;
            // cvmfs_swissknife 2.11 adds a marker of its own for -c and then fails an assertion on the second one.
            await IngestAsync(
                ["ingest", "-t", "-", "-b", relative, backend.RepositoryName],
                (stdin, token) => WriteTarBufferedAsync(stagedTree, stdin, token),
                ct).ConfigureAwait(false);
        }
        else
        {
            await EnsureOpenAsync(ct).ConfigureAwait(false);
            Tree.EnsureDirectories(relative[..relative.LastIndexOf('/')]);
            if (Libc.LStat(Tree.Full(relative)) is not null)
            {
                throw new IOException($"'{Tree.Full(relative)}' already exists");
            }

            await Task.Run(() => TreeOperations.CopyTree(stagedTree, Tree.Full(relative), ct), ct).ConfigureAwait(false);
        }

        await Hook("image-added", ct).ConfigureAwait(false);
    }

    public async Task RemoveImageAsync(string configDigest, CancellationToken ct)
    {
        var relative = RepositoryLayout.ImageDirectory(configDigest);
        if (Libc.LStat(Tree.Full(relative)) is null)
        {
            return;
        }

        if (ingest)
        {
            RequireNoTransaction("delete an image");
            await IngestAsync(["ingest", "-d", relative, backend.RepositoryName], null, ct).ConfigureAwait(false);
            return;
        }

        // Deleted in place, inside the transaction (nothing is visible before publish). Never renamed away first: on
        // the real union mount (overlayfs) renaming a directory of an earlier revision fails with EXDEV. The metadata
        // goes first, so a tree a failure leaves half deleted is an image "never completed": never tagged, replaced
        // by the next publish of that image, removed by GC.
        await EnsureOpenAsync(ct).ConfigureAwait(false);
        Tree.DeleteFile(RepositoryLayout.MetadataFile(configDigest));
        await Task.Run(() => TreeOperations.DeleteTree(Tree.Full(relative)), ct).ConfigureAwait(false);
    }

    public async Task WriteFileAsync(string relativePath, ReadOnlyMemory<byte> content, CancellationToken ct)
    {
        await EnsureOpenAsync(ct).ConfigureAwait(false);
        Tree.WriteFile(relativePath, content.Span, RepositoryTree.TemporaryName(relativePath));
    }

    /// <summary>Nothing to prepare: the transaction is <c>cvmfs_server</c>'s, and nothing is journaled here.</summary>
    public void ExpectSymlinks(IReadOnlyList<string> relativePaths)
    {
    }

    public async Task DeleteFileAsync(string relativePath, CancellationToken ct)
    {
        await EnsureOpenAsync(ct).ConfigureAwait(false);
        Tree.DeleteFile(relativePath);
    }

    public async Task SetSymlinkAsync(string relativePath, string target, CancellationToken ct)
    {
        await EnsureOpenAsync(ct).ConfigureAwait(false);
        Tree.ReplaceSymlink(relativePath, target, RepositoryTree.TemporaryName(relativePath));
        await Hook("tag-set", ct).ConfigureAwait(false);
    }

    public async Task DeleteSymlinkAsync(string relativePath, CancellationToken ct)
    {
        await EnsureOpenAsync(ct).ConfigureAwait(false);
        Tree.DeleteSymlink(relativePath);
        Tree.RemoveEmptyParents(relativePath);
    }

    public async Task CommitAsync(string message, CancellationToken ct)
    {
        await Hook("before-commit", ct).ConfigureAwait(false);
        if (!open)
        {
            return;
        }

        // `publish` is the commit point: cancelled before it starts, the transaction is aborted; once it runs it is
        // never cancelled (killing it midway can leave the repository needing manual repair). Its own time limit stays.
        ct.ThrowIfCancellationRequested();
        await backend.Command.RunAsync(["publish", "-m", PublishMessage.Require(message), backend.RepositoryName], null, CancellationToken.None).ConfigureAwait(false);
        open = false;
        File.Delete(backend.MarkerPath);
        await Hook("after-commit", ct).ConfigureAwait(false);
    }

    public async Task AbortAsync(CancellationToken ct)
    {
        if (!open)
        {
            return;
        }

        // Tried once: when abort fails the marker stays, and the next transaction or start aborts again.
        open = false;
        await backend.Command.RunAsync(["abort", "-f", backend.RepositoryName], null, ct).ConfigureAwait(false);
        File.Delete(backend.MarkerPath);
    }

    public async ValueTask DisposeAsync() => await AbortAsync(CancellationToken.None).ConfigureAwait(false);

    private async Task EnsureOpenAsync(CancellationToken ct)
    {
        if (open)
        {
            return;
        }

        // The marker goes first: a crash between it and the transaction costs one "not in a transaction" abort.
        await WriteMarkerAsync(ct).ConfigureAwait(false);
        try
        {
            await backend.Command.RunAsync(["transaction", backend.RepositoryName], null, ct).ConfigureAwait(false);
        }
        catch
        {
            File.Delete(backend.MarkerPath);
            throw;
        }

        open = true;
        await Hook("transaction-open", ct).ConfigureAwait(false);
    }

    /// <summary>
    /// Runs one <c>cvmfs_server ingest</c>. Ingest opens a transaction of its own, which a crash (of this service and
    /// its children, e.g. a killed cgroup) leaves open: the marker is written first, so the next start aborts it.
    /// A failed ingest aborts its own transaction; when it did not, <c>abort -f</c> is tried once here.
    /// </summary>
    private async Task IngestAsync(IReadOnlyList<string> arguments, Func<Stream, CancellationToken, Task>? writeInput, CancellationToken ct)
    {
        await WriteMarkerAsync(ct).ConfigureAwait(false);
        try
        {
            await backend.Command.RunAsync(arguments, writeInput, ct).ConfigureAwait(false);
        }
        catch (CvmfsServerException e) when (CouldNotStartTransaction(e))
        {
            // Someone else's transaction is open: it is theirs, never aborted here (real 2.11.5 prints this).
            File.Delete(backend.MarkerPath);
            throw;
        }
        catch (CvmfsServerException)
        {
            var abort = await backend.Command.TryRunAsync(["abort", "-f", backend.RepositoryName], null, CancellationToken.None).ConfigureAwait(false);
            if (abort.ExitCode == 0 || CvmfsServerBackend.SaysNotInTransaction(abort))
            {
                File.Delete(backend.MarkerPath);
            }

            throw;
        }

        File.Delete(backend.MarkerPath);
    }

    /// <summary>Whether a failed ingest never opened its transaction (<c>cvmfs_server_ingest.sh</c>: <c>die "Impossible to start a transaction"</c>).</summary>
    private static bool CouldNotStartTransaction(CvmfsServerException e) =>
        e.ExitCode > 0 && ((e.StandardError ?? string.Empty) + (e.StandardOutput ?? string.Empty)).Contains("Impossible to start a transaction", StringComparison.Ordinal);

    /// <summary>The tar in 1 MiB writes: one small write per header would wake the reader at every entry.</summary>
    private async Task WriteTarBufferedAsync(string stagedTree, Stream stdin, CancellationToken ct)
    {
        var buffered = new BufferedStream(stdin, 1 << 20);
        await using (buffered.ConfigureAwait(false))
        {
            await TreeOperations.WriteTarAsync(stagedTree, buffered, (entries, t) => entries == 2 ? Hook("image-streaming", t) : Task.CompletedTask, ct).ConfigureAwait(false);
            await buffered.FlushAsync(ct).ConfigureAwait(false);
        }
    }

    private async Task WriteMarkerAsync(CancellationToken ct)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(backend.MarkerPath)!);
        await File.WriteAllTextAsync(backend.MarkerPath, Environment.ProcessId.ToString(CultureInfo.InvariantCulture), ct).ConfigureAwait(false);
    }

    private void RequireNoTransaction(string what)
    {
        if (open)
        {
            throw new InvalidOperationException($"cannot {what} with cvmfs_server ingest while this session's transaction is open");
        }
    }

    private Task Hook(string point, CancellationToken ct) => hook?.Invoke(point, ct) ?? Task.CompletedTask;
}
