using System.Text;
using System.Text.Json;
using CvmfsImages.Publisher.Native;

namespace CvmfsImages.Publisher.Publishing;

/// <summary>A journaled transaction on a plain directory tree (see <see cref="DirectoryBackend"/>).</summary>
internal sealed class DirectorySession : IRepositorySession
{
    private readonly RepositoryTree tree;
    private readonly string journalPath;
    private readonly string trash;
    private readonly Func<string, CancellationToken, Task>? hook;
    private readonly Dictionary<string, string> journaledLinks = new(StringComparer.Ordinal);
    private readonly HashSet<string> journaledDirectories = new(StringComparer.Ordinal);
    private FileStream? journal;
    private bool finished;

    public DirectorySession(RepositoryTree tree, string staging, string journalPath, Func<string, CancellationToken, Task>? hook)
    {
        this.tree = tree;
        this.journalPath = journalPath;
        this.hook = hook;
        trash = Path.Combine(staging, $"trash-{Guid.NewGuid():N}");
    }

    public async Task AddImageAsync(string configDigest, string stagedTree, CancellationToken ct)
    {
        var relative = RepositoryLayout.ImageDirectory(configDigest);
        tree.EnsureDirectories(relative[..relative.LastIndexOf('/')], d => Journal(new JournalEntry("mkdir", d)));
        if (Libc.LStat(tree.Full(relative)) is not null)
        {
            throw new IOException($"'{tree.Full(relative)}' already exists");
        }

        Journal(new JournalEntry("image", relative, Temporary: stagedTree));
        Libc.RenameNoReplace(stagedTree, tree.Full(relative));
        await Hook("image-added", ct).ConfigureAwait(false);
    }

    public Task RemoveImageAsync(string configDigest, CancellationToken ct)
    {
        var relative = RepositoryLayout.ImageDirectory(configDigest);
        if (Libc.LStat(tree.Full(relative)) is null)
        {
            return Task.CompletedTask;
        }

        Directory.CreateDirectory(trash);
        var moved = Path.Combine(trash, RepositoryLayout.KeyName(configDigest));
        Journal(new JournalEntry("trash", relative, Temporary: moved));
        Libc.RenameNoReplace(tree.Full(relative), moved);
        return Task.CompletedTask;
    }

    public Task WriteFileAsync(string relativePath, ReadOnlyMemory<byte> content, CancellationToken ct)
    {
        EnsureParent(relativePath);
        var old = tree.ReadFile(relativePath);
        var temporary = RepositoryTree.TemporaryName(relativePath);
        Journal(new JournalEntry("file", relativePath, old is null ? null : Convert.ToBase64String(old), temporary));
        tree.WriteFile(relativePath, content.Span, temporary);
        return Task.CompletedTask;
    }

    public Task DeleteFileAsync(string relativePath, CancellationToken ct)
    {
        var old = tree.ReadFile(relativePath);
        if (old is not null)
        {
            Journal(new JournalEntry("file", relativePath, Convert.ToBase64String(old)));
            File.Delete(tree.Full(relativePath));
        }

        return Task.CompletedTask;
    }

    public async Task SetSymlinkAsync(string relativePath, string target, CancellationToken ct)
    {
        EnsureParent(relativePath);
        if (!journaledLinks.Remove(relativePath, out var temporary))
        {
            var old = tree.ReadLink(relativePath);
            temporary = RepositoryTree.TemporaryName(relativePath);
            Journal(new JournalEntry("link", relativePath, old, temporary));
        }

        tree.ReplaceSymlink(relativePath, target, temporary);
        await Hook("tag-set", ct).ConfigureAwait(false);
    }

    /// <summary>
    /// Journals the links (and the directories they need) ahead, flushed to disk once for all of them. Undo is
    /// idempotent, so an entry whose change never happened undoes nothing: the link still has its old target (or is
    /// still absent), the directory is still missing. Replayed backwards, the earliest entry for a path restores it
    /// last, so a path changed again after its entry here (a removal in between) still ends as it was at the start.
    /// A path that cannot be journaled here (something other than a directory above it, something other than a
    /// link at it) is left to <see cref="SetSymlinkAsync"/>, which fails for it as it always did.
    /// </summary>
    public void ExpectSymlinks(IReadOnlyList<string> relativePaths)
    {
        var checkedDirectories = new HashSet<string>(StringComparer.Ordinal);
        var any = false;
        foreach (var relativePath in relativePaths)
        {
            if (journaledLinks.ContainsKey(relativePath))
            {
                continue;
            }

            var missing = new List<string>();
            string? old;
            try
            {
                if (!MissingParents(relativePath, checkedDirectories, missing))
                {
                    continue;
                }

                old = missing.Count > 0 ? null : tree.ReadLink(relativePath);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                continue; // its own SetSymlinkAsync fails for it, as it always did
            }

            foreach (var directory in missing)
            {
                if (journaledDirectories.Add(directory))
                {
                    Journal(new JournalEntry("mkdir", directory), flush: false);
                }
            }

            var temporary = RepositoryTree.TemporaryName(relativePath);
            Journal(new JournalEntry("link", relativePath, old, temporary), flush: false);
            journaledLinks[relativePath] = temporary;
            any = true;
        }

        if (any)
        {
            journal!.Flush(flushToDisk: true);
        }
    }

    public Task DeleteSymlinkAsync(string relativePath, CancellationToken ct)
    {
        var old = tree.ReadLink(relativePath);
        if (old is not null)
        {
            Journal(new JournalEntry("link", relativePath, old));
            File.Delete(tree.Full(relativePath));
            tree.RemoveEmptyParents(relativePath, d => Journal(new JournalEntry("rmdir", d)));
        }

        return Task.CompletedTask;
    }

    public async Task CommitAsync(string message, CancellationToken ct)
    {
        await Hook("before-commit", ct).ConfigureAwait(false);
        if (journal is not null)
        {
            await journal.DisposeAsync().ConfigureAwait(false);
            journal = null;
            File.Delete(journalPath); // the commit point: from here on nothing is undone
        }

        finished = true;
        TreeOperations.DeleteTree(trash);
        await Hook("after-commit", ct).ConfigureAwait(false);
    }

    public async Task AbortAsync(CancellationToken ct)
    {
        if (finished)
        {
            return;
        }

        finished = true;
        if (journal is not null)
        {
            await journal.DisposeAsync().ConfigureAwait(false);
            journal = null;
            Undo(tree, journalPath);
            File.Delete(journalPath);
        }

        TreeOperations.DeleteTree(trash);
    }

    public async ValueTask DisposeAsync() => await AbortAsync(CancellationToken.None).ConfigureAwait(false);

    /// <summary>Replays a journal backwards; returns how many entries it undid. A torn last line is ignored.</summary>
    internal static int Undo(RepositoryTree tree, string journalPath)
    {
        var entries = new List<JournalEntry>();
        var lines = File.ReadAllLines(journalPath);
        for (var i = 0; i < lines.Length; i++)
        {
            try
            {
                if (JsonSerializer.Deserialize(lines[i], JournalJson.Default.JournalEntry) is { } entry)
                {
                    entries.Add(entry);
                }
            }
            catch (JsonException) when (i == lines.Length - 1)
            {
                // Only the last line can be torn (written when the process died): its change was never started.
            }
            catch (JsonException e)
            {
                // Anything else is not a journal this publisher wrote: undoing part of it could do harm; stop and say so.
                throw new InvalidDataException($"'{journalPath}' line {i + 1} is not a journal entry: {e.Message}", e);
            }
        }

        for (var i = entries.Count - 1; i >= 0; i--)
        {
            UndoOne(tree, entries[i]);
        }

        return entries.Count;
    }

    private static void UndoOne(RepositoryTree tree, JournalEntry entry)
    {
        var full = tree.Full(entry.Path);
        if (entry.Temporary is not null && entry.Op is "link" or "file" && Libc.LStat(tree.Full(entry.Temporary)) is not null)
        {
            File.Delete(tree.Full(entry.Temporary));
        }

        switch (entry.Op)
        {
            case "mkdir":
                if (Libc.LStat(full) is { IsDirectory: true } && !Directory.EnumerateFileSystemEntries(full).Any())
                {
                    Directory.Delete(full);
                }

                break;
            case "rmdir":
                tree.EnsureDirectories(entry.Path);
                break;
            case "image":
                // Back to where it was staged (a retry can use it again; stale staging is cleaned at start).
                if (entry.Temporary is not null && Libc.LStat(entry.Temporary) is null && Libc.LStat(full) is not null)
                {
                    Libc.RenameNoReplace(full, entry.Temporary);
                }

                TreeOperations.DeleteTree(full);
                break;
            case "trash":
                if (entry.Temporary is not null && Libc.LStat(entry.Temporary) is not null && Libc.LStat(full) is null)
                {
                    Libc.RenameNoReplace(entry.Temporary, full);
                }

                break;
            case "link":
                if (!tree.ParentsAreDirectoriesOrMissing(entry.Path))
                {
                    // Never reached through a link: an entry journaled ahead (see ExpectSymlinks) whose change
                    // never happened can name a path below one; nothing of ours is there.
                    break;
                }

                if (entry.Old is null)
                {
                    tree.DeleteSymlink(entry.Path);
                }
                else
                {
                    tree.ReplaceSymlink(entry.Path, entry.Old, RepositoryTree.TemporaryName(entry.Path));
                }

                break;
            case "file":
                if (entry.Old is null)
                {
                    tree.DeleteFile(entry.Path);
                }
                else
                {
                    tree.WriteFile(entry.Path, Convert.FromBase64String(entry.Old), RepositoryTree.TemporaryName(entry.Path));
                }

                break;
            default:
                throw new InvalidDataException($"journal entry '{entry.Op}' for '{entry.Path}' is not one this publisher writes");
        }
    }

    private void EnsureParent(string relativePath)
    {
        var slash = relativePath.LastIndexOf('/');
        if (slash > 0)
        {
            tree.EnsureDirectories(relativePath[..slash], d =>
            {
                if (!journaledDirectories.Contains(d))
                {
                    Journal(new JournalEntry("mkdir", d));
                }
            });
        }
    }

    /// <summary>
    /// The directories above <paramref name="relativePath"/> that are missing, outermost first, into
    /// <paramref name="missing"/>; false when one of them is something other than a directory. Never follows a link:
    /// each component is looked at with lstat, and nothing below a missing one.
    /// </summary>
    private bool MissingParents(string relativePath, HashSet<string> present, List<string> missing)
    {
        for (var slash = relativePath.IndexOf('/'); slash > 0; slash = relativePath.IndexOf('/', slash + 1))
        {
            var directory = relativePath[..slash];
            if (missing.Count > 0 || journaledDirectories.Contains(directory))
            {
                missing.Add(directory);
                continue;
            }

            if (present.Contains(directory))
            {
                continue;
            }

            var status = Libc.LStat(tree.Full(directory));
            if (status is null)
            {
                missing.Add(directory);
            }
            else if (status.Value.IsDirectory)
            {
                present.Add(directory);
            }
            else
            {
                return false;
            }
        }

        return true;
    }

    private void Journal(JournalEntry entry, bool flush = true)
    {
        journal ??= new FileStream(journalPath, new FileStreamOptions
        {
            Mode = FileMode.CreateNew,
            Access = FileAccess.Write,
            UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
        });
        var line = JsonSerializer.SerializeToUtf8Bytes(entry, JournalJson.Default.JournalEntry);
        journal.Write(line);
        journal.Write("\n"u8);
        if (flush)
        {
            journal.Flush(flushToDisk: true);
        }
    }

    private Task Hook(string point, CancellationToken ct) => hook?.Invoke(point, ct) ?? Task.CompletedTask;
}
