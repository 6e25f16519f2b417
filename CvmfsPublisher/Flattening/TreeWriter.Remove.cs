using CvmfsImages.Publisher.Native;

namespace CvmfsImages.Publisher.Flattening;

/// <summary>Removal: replacing entries, whiteouts, opaque directories, and the final pass over directories.</summary>
internal sealed partial class TreeWriter
{
    /// <summary>Removes the entry (a whole tree for a directory), never following links.</summary>
    public void Remove(int dir, string name, string physical)
    {
        ClearCache();
        var type = Libc.TypeAt(dir, name, out var errno);
        if (type == 0)
        {
            if (errno == Libc.ENOENT)
            {
                return;
            }

            throw Error(errno, "stat", physical);
        }

        if (type == Libc.SIfDir)
        {
            RemoveTree(dir, name, physical);
            ForgetDirectories(physical);
        }
        else if (Libc.UnlinkAt(dir, name, 0) != 0)
        {
            throw Error(Libc.Errno, "unlink", physical);
        }
    }

    /// <summary>
    /// Applies a whiteout for <paramref name="name"/> in <paramref name="dir"/>: what lower layers put there goes;
    /// what this layer wrote there (before or after the whiteout in the tar) stays.
    /// </summary>
    public void Whiteout(int dir, string name, string physical)
    {
        var type = Libc.TypeAt(dir, name, out _);
        if (type == 0)
        {
            return;
        }

        if (_touched is null || !_touched.Contains(physical))
        {
            Remove(dir, name, physical);
            return;
        }

        if (type == Libc.SIfDir)
        {
            // The layer writes inside this directory too: keep exactly what it wrote.
            var fd = OpenDirectoryForListing(dir, name, physical, out var listFd);
            try
            {
                RemoveLowerChildren(fd, listFd, physical);
            }
            finally
            {
                Libc.Close(fd);
            }
        }
    }

    /// <summary>Empties an opaque directory of lower-layer content, keeping what this layer wrote in it.</summary>
    public void MakeOpaque(int dir, string physical)
    {
        ClearCache();
        var listFd = Libc.OpenAt(dir, ".", Libc.ODirectory | Libc.ONoFollow | Libc.OCloExec, 0);
        if (listFd < 0)
        {
            throw Error(Libc.Errno, "open", physical);
        }

        RemoveLowerChildren(dir, listFd, physical);
    }

    private void RemoveLowerChildren(int dir, int listFd, string physical)
    {
        ClearCache();
        foreach (var (child, type) in Libc.ReadDirectory(listFd))
        {
            var childPath = EntryPath.Join(physical, child);
            if (_touched is null || !_touched.Contains(childPath))
            {
                Remove(dir, child, childPath);
                continue;
            }

            var isDir = type == Libc.DtDir || (type == Libc.DtUnknown && Libc.TypeAt(dir, child, out _) == Libc.SIfDir);
            if (isDir)
            {
                var fd = OpenDirectoryForListing(dir, child, childPath, out var childList);
                try
                {
                    RemoveLowerChildren(fd, childList, childPath);
                }
                finally
                {
                    Libc.Close(fd);
                }
            }
        }
    }

    private static void RemoveTree(int parent, string name, string physical)
    {
        var fd = OpenDirectoryForListing(parent, name, physical, out var listFd);
        try
        {
            foreach (var (child, type) in Libc.ReadDirectory(listFd))
            {
                var isDir = type == Libc.DtDir || (type == Libc.DtUnknown && Libc.TypeAt(fd, child, out _) == Libc.SIfDir);
                if (isDir)
                {
                    RemoveTree(fd, child, EntryPath.Join(physical, child));
                }
                else if (Libc.UnlinkAt(fd, child, 0) != 0)
                {
                    throw Error(Libc.Errno, "unlink", EntryPath.Join(physical, child));
                }
            }
        }
        finally
        {
            Libc.Close(fd);
        }

        if (Libc.UnlinkAt(parent, name, Libc.AtRemoveDir) != 0)
        {
            throw Error(Libc.Errno, "rmdir", physical);
        }
    }

    // Two descriptors on the same directory: one for *at calls, one that readdir consumes.
    private static int OpenDirectoryForListing(int parent, string name, string physical, out int listFd)
    {
        var fd = Libc.OpenAt(parent, name, Libc.OPath | Libc.ODirectory | Libc.ONoFollow | Libc.OCloExec, 0);
        if (fd < 0)
        {
            throw Error(Libc.Errno, "open", physical);
        }

        listFd = Libc.OpenAt(fd, ".", Libc.ODirectory | Libc.OCloExec, 0);
        if (listFd < 0)
        {
            var errno = Libc.Errno;
            Libc.Close(fd);
            throw Error(errno, "open", physical);
        }

        return fd;
    }

    private void ForgetDirectories(string physical)
    {
        if (_directoryMeta.Count == 0)
        {
            return;
        }

        var prefix = physical + "/";
        foreach (var key in _directoryMeta.Keys.Where(k => k == physical || k.StartsWith(prefix, StringComparison.Ordinal)).ToList())
        {
            _directoryMeta.Remove(key);
        }
    }

    /// <summary>
    /// Gives every directory its final mode and mtime: from its last tar entry, or 0755 and <see cref="FixedMtime"/>
    /// when the image never described it. Done last because writing into a directory changes its mtime.
    /// </summary>
    public unsafe void FinishDirectories()
    {
        ClearCache();
        var (mode, seconds, nanoseconds) = _directoryMeta.GetValueOrDefault(string.Empty, (ModeRules.ImplicitDirectory, FixedMtime, 0));
        var times = stackalloc Libc.Timespec[2];
        times[0] = new Libc.Timespec { Seconds = seconds, Nanoseconds = nanoseconds };
        times[1] = times[0];
        if (Libc.Fchmod(_root, mode) != 0 || Libc.Futimens(_root, times) != 0)
        {
            throw Error(Libc.Errno, "chmod/utimens", string.Empty);
        }

        FinishChildren(_root, string.Empty);
    }

    private unsafe void FinishChildren(int dir, string physical)
    {
        var listFd = Libc.OpenAt(dir, ".", Libc.ODirectory | Libc.OCloExec, 0);
        if (listFd < 0)
        {
            throw Error(Libc.Errno, "open", physical);
        }

        var times = stackalloc Libc.Timespec[2];
        foreach (var (child, type) in Libc.ReadDirectory(listFd))
        {
            var isDir = type == Libc.DtDir || (type == Libc.DtUnknown && Libc.TypeAt(dir, child, out _) == Libc.SIfDir);
            if (!isDir)
            {
                continue;
            }

            var childPath = EntryPath.Join(physical, child);
            var fd = Libc.OpenAt(dir, child, Libc.OPath | Libc.ODirectory | Libc.ONoFollow | Libc.OCloExec, 0);
            if (fd < 0)
            {
                throw Error(Libc.Errno, "open", childPath);
            }

            try
            {
                FinishChildren(fd, childPath);
            }
            finally
            {
                Libc.Close(fd);
            }

            var (mode, seconds, nanoseconds) = _directoryMeta.GetValueOrDefault(childPath, (ModeRules.ImplicitDirectory, FixedMtime, 0));
            times[0] = new Libc.Timespec { Seconds = seconds, Nanoseconds = nanoseconds };
            times[1] = times[0];

            // fchmodat follows a link in the last component, but readdir said this is a directory, and only this
            // process writes the tree.
            if (Libc.FchmodAt(dir, child, mode, 0) != 0 || Libc.UtimensAt(dir, child, times, Libc.AtSymlinkNoFollow) != 0)
            {
                throw Error(Libc.Errno, "chmod/utimens", childPath);
            }
        }
    }
}
