using System.Formats.Tar;
using CvmfsImages.Publisher.Native;

namespace CvmfsImages.Publisher.Publishing;

/// <summary>
/// Whole-tree operations on flattened images, none of which follows a link: copy (symlinks as symlinks, hardlinks
/// as hardlinks), delete (making directories writable first), and streaming as an uncompressed tar.
/// Device nodes, FIFOs and sockets are skipped (the flattener does not create them; CVMFS would not serve them).
/// </summary>
internal static class TreeOperations
{
    private const UnixFileMode OwnerAll = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    /// <summary>Copies <paramref name="source"/> to the not-yet-existing <paramref name="destination"/>.</summary>
    public static void CopyTree(string source, string destination, CancellationToken ct)
    {
        var firstCopy = new Dictionary<(uint, uint, ulong), string>();
        var directories = new List<(string Path, FileStatus Status)>();
        CopyDirectory(source, destination, firstCopy, directories, ct);

        // Modes and times of directories last: a read-only directory must not stop its children being written.
        for (var i = directories.Count - 1; i >= 0; i--)
        {
            var (path, status) = directories[i];
            File.SetUnixFileMode(path, status.Permissions);
            Directory.SetLastWriteTimeUtc(path, DateTimeOffset.FromUnixTimeSeconds(status.MTimeSeconds).UtcDateTime);
        }
    }

    /// <summary>Deletes a tree without following links, making its directories writable first.</summary>
    public static void DeleteTree(string path)
    {
        var status = Libc.LStat(path);
        if (status is null)
        {
            return;
        }

        if (!status.Value.IsDirectory)
        {
            File.Delete(path);
            return;
        }

        MakeDirectoriesWritable(path);
        Directory.Delete(path, recursive: true);
    }

    /// <summary>
    /// Writes the tree under <paramref name="source"/> as an uncompressed PAX tar: directories before their children,
    /// names relative to the tree, symlinks as symlinks, a second link to an inode as a hardlink entry.
    /// <paramref name="afterEntry"/> runs after each entry (progress, test hooks).
    /// </summary>
    public static async Task WriteTarAsync(string source, Stream output, Func<long, CancellationToken, Task>? afterEntry, CancellationToken ct)
    {
        var firstName = new Dictionary<(uint, uint, ulong), string>();
        long entries = 0;
        var writer = new TarWriter(output, TarEntryFormat.Pax, leaveOpen: true);
        await using (writer.ConfigureAwait(false))
        {
            var pending = new Stack<string>();
            pending.Push(string.Empty);
            while (pending.Count > 0)
            {
                ct.ThrowIfCancellationRequested();
                var relativeDirectory = pending.Pop();
                var children = Directory.EnumerateFileSystemEntries(Path.Combine(source, relativeDirectory))
                    .Select(Path.GetFileName)
                    .Order(StringComparer.Ordinal)
                    .ToList();
                var subdirectories = new List<string>();
                foreach (var name in children)
                {
                    var relative = relativeDirectory.Length == 0 ? name! : relativeDirectory + "/" + name;
                    var full = Path.Combine(source, relative);
                    var status = Libc.LStat(full) ?? throw new IOException($"'{full}' vanished while it was being published");
                    PaxTarEntry entry;
                    Stream? data = null;
                    if (status.IsDirectory)
                    {
                        entry = new PaxTarEntry(TarEntryType.Directory, relative + "/");
                        subdirectories.Add(relative);
                    }
                    else if (status.IsSymlink)
                    {
                        entry = new PaxTarEntry(TarEntryType.SymbolicLink, relative)
                        {
                            LinkName = new FileInfo(full).LinkTarget ?? throw new IOException($"cannot read the link '{full}'"),
                        };
                    }
                    else if (status.IsRegularFile)
                    {
                        if (status.Links > 1 && firstName.TryGetValue(status.Identity, out var first))
                        {
                            entry = new PaxTarEntry(TarEntryType.HardLink, relative) { LinkName = first };
                        }
                        else
                        {
                            if (status.Links > 1)
                            {
                                firstName[status.Identity] = relative;
                            }

                            entry = new PaxTarEntry(TarEntryType.RegularFile, relative);
                            data = new FileStream(full, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan);
                        }
                    }
                    else
                    {
                        continue; // device, FIFO, socket: never published
                    }

                    entry.Mode = status.Permissions;
                    entry.Uid = (int)status.Uid;
                    entry.Gid = (int)status.Gid;
                    entry.ModificationTime = DateTimeOffset.FromUnixTimeSeconds(status.MTimeSeconds);
                    if (data is not null)
                    {
                        await using (data.ConfigureAwait(false))
                        {
                            entry.DataStream = data;
                            await writer.WriteEntryAsync(entry, ct).ConfigureAwait(false);
                        }
                    }
                    else
                    {
                        await writer.WriteEntryAsync(entry, ct).ConfigureAwait(false);
                    }

                    entries++;
                    if (afterEntry is not null)
                    {
                        await afterEntry(entries, ct).ConfigureAwait(false);
                    }
                }

                for (var i = subdirectories.Count - 1; i >= 0; i--)
                {
                    pending.Push(subdirectories[i]);
                }
            }
        }
    }

    private static void CopyDirectory(
        string source,
        string destination,
        Dictionary<(uint, uint, ulong), string> firstCopy,
        List<(string, FileStatus)> directories,
        CancellationToken ct)
    {
        var status = Libc.LStat(source) ?? throw new DirectoryNotFoundException($"'{source}' does not exist");
        if (!status.IsDirectory)
        {
            throw new IOException($"'{source}' is not a directory");
        }

        Directory.CreateDirectory(destination, OwnerAll);
        directories.Add((destination, status));
        foreach (var entry in Directory.EnumerateFileSystemEntries(source).Order(StringComparer.Ordinal))
        {
            ct.ThrowIfCancellationRequested();
            var target = Path.Combine(destination, Path.GetFileName(entry));
            var child = Libc.LStat(entry) ?? throw new IOException($"'{entry}' vanished while it was being copied");
            if (child.IsDirectory)
            {
                CopyDirectory(entry, target, firstCopy, directories, ct);
            }
            else if (child.IsSymlink)
            {
                File.CreateSymbolicLink(target, new FileInfo(entry).LinkTarget ?? throw new IOException($"cannot read the link '{entry}'"));
            }
            else if (child.IsRegularFile)
            {
                if (child.Links > 1 && firstCopy.TryGetValue(child.Identity, out var first))
                {
                    Libc.Link(first, target);
                    continue;
                }

                File.Copy(entry, target);
                File.SetUnixFileMode(target, child.Permissions);
                File.SetLastWriteTimeUtc(target, DateTimeOffset.FromUnixTimeSeconds(child.MTimeSeconds).UtcDateTime);
                if (child.Links > 1)
                {
                    firstCopy[child.Identity] = target;
                }
            }
        }
    }

    private static void MakeDirectoriesWritable(string directory)
    {
        var info = new DirectoryInfo(directory);
        if ((info.UnixFileMode & OwnerAll) != OwnerAll)
        {
            info.UnixFileMode |= OwnerAll;
        }

        foreach (var sub in info.EnumerateDirectories())
        {
            if (sub.LinkTarget is null)
            {
                MakeDirectoriesWritable(sub.FullName);
            }
        }
    }
}
