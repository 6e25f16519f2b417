using System.Text;
using CvmfsImages.Publisher.Native;

namespace CvmfsImages.Publisher.Publishing;

/// <summary>
/// Writes into the published tree by relative path without ever following a link: every existing component of a
/// path must be a real directory, a symlink is replaced by renaming a temporary link over it, a file by renaming a
/// temporary file over it. Paths given here are already validated (<see cref="RepositoryLayout.ValidateTagPath"/> or
/// built by <see cref="RepositoryLayout"/>).
/// </summary>
internal sealed class RepositoryTree
{
    private const UnixFileMode NewDirectoryMode = (UnixFileMode)0x1ED; // 0755
    private const UnixFileMode NewFileMode = (UnixFileMode)0x1A4;      // 0644

    public RepositoryTree(string root)
    {
        Root = Path.TrimEndingDirectorySeparator(Path.GetFullPath(root));
    }

    public string Root { get; }

    public string Full(string relativePath) => Path.Combine(Root, relativePath);

    /// <summary>A temporary name beside <paramref name="relativePath"/> (hidden, so readers skip it).</summary>
    public static string TemporaryName(string relativePath)
    {
        var slash = relativePath.LastIndexOf('/');
        var name = relativePath[(slash + 1)..];
        var prefix = slash < 0 ? string.Empty : relativePath[..(slash + 1)];
        return $"{prefix}.{(name.Length > 100 ? name[..100] : name)}.tmp-{Guid.NewGuid():N}";
    }

    /// <summary>
    /// Creates the missing directories of <paramref name="relativeDirectory"/> one level at a time, refusing to pass
    /// through anything that is not a real directory. <paramref name="beforeCreate"/> sees each one first (journal).
    /// </summary>
    public void EnsureDirectories(string relativeDirectory, Action<string>? beforeCreate = null)
    {
        if (relativeDirectory.Length == 0)
        {
            return;
        }

        var current = new StringBuilder();
        foreach (var part in relativeDirectory.Split('/'))
        {
            if (current.Length > 0)
            {
                current.Append('/');
            }

            current.Append(part);
            var relative = current.ToString();
            var full = Full(relative);
            var status = Libc.LStat(full);
            if (status is null)
            {
                beforeCreate?.Invoke(relative);
                Directory.CreateDirectory(full, NewDirectoryMode);
            }
            else if (!status.Value.IsDirectory)
            {
                throw new IOException($"'{full}' exists and is not a directory (a symlink or a file); refusing to write through it");
            }
        }
    }

    /// <summary>The target of the symlink at the path; null when nothing is there; throws when something else is.</summary>
    public string? ReadLink(string relativePath)
    {
        var full = Full(relativePath);
        var status = Libc.LStat(full);
        if (status is null)
        {
            return null;
        }

        if (!status.Value.IsSymlink)
        {
            throw new IOException($"'{full}' exists and is not a symlink; refusing to replace it with a tag");
        }

        return new FileInfo(full).LinkTarget;
    }

    /// <summary>
    /// Whether every directory above <paramref name="relativePath"/> is a real directory or missing (then so is
    /// everything below it): looking at the path itself then follows no link. Each component is looked at with lstat.
    /// </summary>
    public bool ParentsAreDirectoriesOrMissing(string relativePath)
    {
        for (var slash = relativePath.IndexOf('/'); slash > 0; slash = relativePath.IndexOf('/', slash + 1))
        {
            var status = Libc.LStat(Full(relativePath[..slash]));
            if (status is null)
            {
                return true;
            }

            if (!status.Value.IsDirectory)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Points the symlink at <paramref name="target"/>: a temporary link renamed over the old one (atomic).</summary>
    public void ReplaceSymlink(string relativePath, string target, string temporaryName)
    {
        EnsureParent(relativePath);
        _ = ReadLink(relativePath); // refuses a directory or file at the path
        var temporary = Full(temporaryName);
        File.CreateSymbolicLink(temporary, target);
        try
        {
            Libc.Rename(temporary, Full(relativePath));
        }
        catch
        {
            File.Delete(temporary);
            throw;
        }
    }

    /// <summary>Removes the symlink when it is there.</summary>
    public void DeleteSymlink(string relativePath)
    {
        if (ReadLink(relativePath) is not null)
        {
            File.Delete(Full(relativePath));
        }
    }

    /// <summary>The content of the regular file at the path; null when absent; throws when not a regular file.</summary>
    public byte[]? ReadFile(string relativePath)
    {
        var full = Full(relativePath);
        var status = Libc.LStat(full);
        if (status is null)
        {
            return null;
        }

        if (!status.Value.IsRegularFile)
        {
            throw new IOException($"'{full}' is not a regular file");
        }

        return File.ReadAllBytes(full);
    }

    /// <summary>Writes the file through a temporary file renamed over the old one.</summary>
    public void WriteFile(string relativePath, ReadOnlySpan<byte> content, string temporaryName)
    {
        EnsureParent(relativePath);
        var existing = Libc.LStat(Full(relativePath));
        if (existing is { IsRegularFile: false })
        {
            throw new IOException($"'{Full(relativePath)}' exists and is not a regular file; refusing to replace it");
        }

        var temporary = Full(temporaryName);
        try
        {
            using (var stream = new FileStream(temporary, new FileStreamOptions
            {
                Mode = FileMode.CreateNew,
                Access = FileAccess.Write,
                UnixCreateMode = NewFileMode,
            }))
            {
                stream.Write(content);
                stream.Flush(flushToDisk: true);
            }

            Libc.Rename(temporary, Full(relativePath));
        }
        catch
        {
            File.Delete(temporary);
            throw;
        }
    }

    /// <summary>Removes the regular file when it is there.</summary>
    public void DeleteFile(string relativePath)
    {
        if (ReadFile(relativePath) is not null)
        {
            File.Delete(Full(relativePath));
        }
    }

    /// <summary>
    /// Removes the empty directories above <paramref name="relativePath"/> (not the root, not <c>.images</c>).
    /// <paramref name="beforeRemove"/> sees each one first (journal).
    /// </summary>
    public void RemoveEmptyParents(string relativePath, Action<string>? beforeRemove = null)
    {
        var directory = relativePath;
        while (true)
        {
            var slash = directory.LastIndexOf('/');
            if (slash <= 0)
            {
                return;
            }

            directory = directory[..slash];
            if (directory == RepositoryLayout.ImagesDirectory)
            {
                return;
            }

            var full = Full(directory);
            if (Libc.LStat(full) is not { IsDirectory: true } || Directory.EnumerateFileSystemEntries(full).Any())
            {
                return;
            }

            beforeRemove?.Invoke(directory);
            Directory.Delete(full);
        }
    }

    private void EnsureParent(string relativePath)
    {
        var slash = relativePath.LastIndexOf('/');
        if (slash > 0)
        {
            EnsureDirectories(relativePath[..slash]);
        }
    }
}
