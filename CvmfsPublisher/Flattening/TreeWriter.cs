using CvmfsImages.Publisher.Native;

namespace CvmfsImages.Publisher.Flattening;

/// <summary>
/// Writes a tree under one root directory, through directory file descriptors only: every call is an *at call
/// relative to a directory already resolved inside the root, and no call follows a link in its last component.
/// Parent paths that pass through a symlink from the image are resolved by hand, clamped at the root (the
/// <c>securejoin</c> rule: <c>x -> /etc</c> makes <c>x/passwd</c> mean <c>&lt;root&gt;/etc/passwd</c>), so nothing
/// outside the root is ever touched. Only this process writes the tree while it is being built, so the checks do
/// not race with anyone.
/// </summary>
internal sealed partial class TreeWriter : IDisposable
{
    /// <summary>The mtime (Unix seconds) of everything the image does not date: implicit directories, generated files.</summary>
    public const long FixedMtime = 0;

    private const int MaxLinkFollows = 40;
    private const int MaxCachedDirectories = 256;

    private readonly int _root;
    private readonly Dictionary<string, (int Fd, string Physical)> _cache = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (uint Mode, long Seconds, long Nanoseconds)> _directoryMeta = new(StringComparer.Ordinal);
    private readonly List<int> _retired = [];
    private readonly uint _umask;
    private HashSet<string>? _touched;
    private char[] _key = new char[256];
    private int[] _keyEnds = new int[32];

    private TreeWriter(int root, uint umask)
    {
        _root = root;
        _umask = umask;
    }

    /// <summary>Number of directories created (explicitly or implicitly).</summary>
    public long DirectoriesCreated { get; private set; }

    /// <summary>Creates <paramref name="target"/> (which must not exist; its parent must) and opens it as the root.</summary>
    public static TreeWriter Create(string target)
    {
        if (Libc.Mkdir(target, 0x1C0 /* 0700 */) != 0)
        {
            var errno = Libc.Errno;
            throw new IOException($"Cannot create the target directory '{target}': {Libc.Describe(errno)}" +
                (errno == Libc.EEXIST ? " (it must not exist yet)" : errno == Libc.ENOENT ? " (its parent must exist)" : string.Empty));
        }

        var fd = Libc.OpenAt(Libc.AtFdCwd, target, Libc.ODirectory | Libc.ONoFollow | Libc.OCloExec, 0);
        if (fd < 0)
        {
            throw new IOException($"Cannot open the target directory '{target}': {Libc.Describe(Libc.Errno)}");
        }

        return new TreeWriter(fd, ReadUmask());
    }

    /// <summary>Starts a layer: from now on, writes are recorded so whiteouts can tell this layer's content from lower layers'.</summary>
    public void BeginLayer() => _touched = new HashSet<string>(StringComparer.Ordinal);

    public void Dispose()
    {
        ClearCache();
        BeginEntry();
        Libc.Close(_root);
    }

    /// <summary>
    /// Called before each entry: descriptors returned by <see cref="ResolveDirectory"/> stay valid for the whole
    /// entry, even across a removal, and are closed here once they can no longer be in use.
    /// </summary>
    public void BeginEntry()
    {
        if (_cache.Count > MaxCachedDirectories)
        {
            ClearCache();
        }

        foreach (var fd in _retired)
        {
            Libc.Close(fd);
        }

        _retired.Clear();
    }

    /// <summary>
    /// Resolves the directory named by the first <paramref name="count"/> components inside the root and returns a
    /// borrowed descriptor for it (valid until the next destructive call). Missing directories are created when
    /// <paramref name="create"/> is set, else -1 is returned.
    /// </summary>
    /// <remarks>
    /// The walk starts from the longest prefix already resolved (an archive lists a directory's entries together, so
    /// that is usually the parent) and keeps every directory it passes through until a symlink is met; a component is
    /// opened with <c>O_DIRECTORY|O_NOFOLLOW</c>, so a plain directory costs one call and only something else (a link
    /// to follow, a file to refuse) is looked at further.
    /// </remarks>
    public int ResolveDirectory(IReadOnlyList<string> components, int count, bool create, out string physical)
    {
        if (count == 0)
        {
            physical = string.Empty;
            return _root;
        }

        var key = BuildKey(components, count);
        var cache = _cache.GetAlternateLookup<ReadOnlySpan<char>>();
        var start = count;
        (int Fd, string Physical) found = default;
        while (start > 0 && !cache.TryGetValue(key[.._keyEnds[start - 1]], out found))
        {
            start--;
        }

        // TryGetValue leaves the tuple's string null only when nothing was found (start is then 0).
        var foundPhysical = found.Physical ?? string.Empty;
        if (start == count)
        {
            physical = foundPhysical;
            return found.Fd;
        }

        var pending = new Stack<string>(count - start);
        for (var i = count - 1; i >= start; i--)
        {
            pending.Push(components[i]);
        }

        var path = start == 0 ? new List<string>(count) : [.. foundPhysical.Split('/')];
        var current = start == 0 ? _root : found.Fd;
        var owned = false; // the root and cached descriptors belong to the writer, not to this walk
        var links = 0;
        var logical = start;
        try
        {
            while (pending.Count > 0)
            {
                var part = pending.Pop();
                if (part is "" or ".")
                {
                    continue;
                }

                if (part == "..")
                {
                    // Clamped at the root: '..' of the root is the root, as in a chroot.
                    if (path.Count > 0)
                    {
                        path.RemoveAt(path.Count - 1);
                        Release(current, owned);
                        current = OpenKnownDirectory(path);
                        owned = current != _root;
                    }

                    continue;
                }

                var fd = Libc.OpenAt(current, part, Libc.OPath | Libc.ONoFollow | Libc.ODirectory | Libc.OCloExec, 0);
                if (fd < 0)
                {
                    var errno = Libc.Errno;
                    if (errno == Libc.ENOENT)
                    {
                        if (!create)
                        {
                            Release(current, owned);
                            physical = string.Empty;
                            return -1;
                        }

                        var childPath = EntryPath.Join(string.Join('/', path), part);
                        if (Libc.MkdirAt(current, part, 0x1ED) != 0)
                        {
                            throw Error(Libc.Errno, "mkdir", childPath);
                        }

                        DirectoriesCreated++;
                        fd = Libc.OpenAt(current, part, Libc.OPath | Libc.ONoFollow | Libc.ODirectory | Libc.OCloExec, 0);
                        if (fd < 0)
                        {
                            throw Error(Libc.Errno, "open", childPath);
                        }
                    }
                    else if (errno == Libc.ENOTDIR)
                    {
                        // Not a directory: a symlink to follow inside the root, or anything else to refuse.
                        FollowOrRefuse(current, part, path, pending, ref links, ref current, ref owned);
                        continue;
                    }
                    else
                    {
                        throw Error(errno, "open", EntryPath.Join(string.Join('/', path), part));
                    }
                }

                Release(current, owned);
                current = fd;
                owned = true;
                path.Add(part);
                if (links == 0)
                {
                    // No link on the way so far: the name as given is the physical path, worth keeping.
                    logical++;
                    _cache[new string(key[.._keyEnds[logical - 1]])] = (fd, string.Join('/', path));
                    owned = false;
                }
            }
        }
        catch
        {
            Release(current, owned);
            throw;
        }

        physical = string.Join('/', path);
        if (current == _root)
        {
            return _root;
        }

        if (owned)
        {
            _cache[new string(key)] = (current, physical);
        }

        return current;
    }

    /// <summary>Records that this layer wrote <paramref name="physical"/> (and so, implicitly, its parents).</summary>
    public void Touch(string physical)
    {
        if (_touched is null)
        {
            return;
        }

        while (physical.Length > 0 && _touched.Add(physical))
        {
            physical = EntryPath.Parent(physical);
        }
    }

    /// <summary>True when the entry exists (any type, links not followed).</summary>
    public static bool Exists(int dir, string name) => Libc.TypeAt(dir, name, out _) != 0;

    /// <summary>Creates or merges a directory; its mode and mtime are applied by <see cref="FinishDirectories"/>.</summary>
    public void MakeDirectory(int dir, string name, string physical, uint mode, long seconds, long nanoseconds)
    {
        if (Libc.MkdirAt(dir, name, 0x1ED) != 0)
        {
            var errno = Libc.Errno;
            if (errno != Libc.EEXIST)
            {
                throw Error(errno, "mkdir", physical);
            }

            if (Libc.TypeAt(dir, name, out _) != Libc.SIfDir)
            {
                Remove(dir, name, physical);
                if (Libc.MkdirAt(dir, name, 0x1ED) != 0)
                {
                    throw Error(Libc.Errno, "mkdir", physical);
                }

                DirectoriesCreated++;
            }
        }
        else
        {
            DirectoriesCreated++;
        }

        _directoryMeta[physical] = (mode, seconds, nanoseconds);
        Touch(physical);
    }

    /// <summary>Sets the mode and mtime of the root (from a <c>./</c> entry).</summary>
    public void SetRootMetadata(uint mode, long seconds, long nanoseconds) => _directoryMeta[string.Empty] = (mode, seconds, nanoseconds);

    /// <summary>Creates a new regular file (replacing whatever is there) and returns a handle open for writing.</summary>
    public WritableFile CreateFile(int dir, string name, string physical, uint mode)
    {
        var flags = Libc.OWrOnly | Libc.OCreat | Libc.OExcl | Libc.ONoFollow | Libc.OCloExec;
        var fd = Libc.OpenAt(dir, name, flags, mode);
        if (fd < 0 && Libc.Errno == Libc.EEXIST)
        {
            Remove(dir, name, physical);
            fd = Libc.OpenAt(dir, name, flags, mode);
        }

        if (fd < 0)
        {
            throw Error(Libc.Errno, "create", physical);
        }

        var file = new WritableFile(fd, physical);
        if ((mode & ~_umask) != mode && Libc.Fchmod(fd, mode) != 0)
        {
            var errno = Libc.Errno;
            file.Dispose();
            throw Error(errno, "chmod", physical);
        }

        Touch(physical);
        return file;
    }

    /// <summary>Writes a symlink as it is (its target is never looked at), replacing whatever is there.</summary>
    public unsafe void MakeSymlink(int dir, string name, string physical, string target, long seconds, long nanoseconds)
    {
        if (Libc.SymlinkAt(target, dir, name) != 0)
        {
            var errno = Libc.Errno;
            if (errno != Libc.EEXIST)
            {
                throw Error(errno, "symlink", physical);
            }

            Remove(dir, name, physical);
            if (Libc.SymlinkAt(target, dir, name) != 0)
            {
                throw Error(Libc.Errno, "symlink", physical);
            }
        }

        var times = stackalloc Libc.Timespec[2];
        times[0] = new Libc.Timespec { Seconds = seconds, Nanoseconds = nanoseconds };
        times[1] = times[0];
        if (Libc.UtimensAt(dir, name, times, Libc.AtSymlinkNoFollow) != 0)
        {
            throw Error(Libc.Errno, "utimens", physical);
        }

        Touch(physical);
    }

    /// <summary>
    /// Makes <paramref name="name"/> a hard link to the existing non-directory <paramref name="targetName"/> in
    /// <paramref name="targetDir"/>. Returns false when the target does not exist.
    /// </summary>
    public unsafe bool MakeHardlink(int targetDir, string targetName, int dir, string name, string physical)
    {
        Libc.StatxBuffer target;
        if (Libc.Statx(targetDir, targetName, Libc.AtSymlinkNoFollow, 0x1 | 0x100, &target) != 0)
        {
            var errno = Libc.Errno;
            return errno == Libc.ENOENT ? false : throw Error(errno, "stat", physical);
        }

        if ((target.Mode & Libc.SIfMt) == Libc.SIfDir)
        {
            throw new EntryRefusedException("a hard link must not name a directory");
        }

        Libc.StatxBuffer existing;
        if (Libc.Statx(dir, name, Libc.AtSymlinkNoFollow, 0x1 | 0x100, &existing) == 0)
        {
            if (existing.Ino == target.Ino && existing.DevMajor == target.DevMajor && existing.DevMinor == target.DevMinor)
            {
                Touch(physical);
                return true; // already the same file (a link to itself)
            }

            Remove(dir, name, physical);
        }

        if (Libc.LinkAt(targetDir, targetName, dir, name, 0) != 0)
        {
            throw Error(Libc.Errno, "link", physical);
        }

        Touch(physical);
        return true;
    }

    private static unsafe int TypeOf(int fd)
    {
        Libc.StatxBuffer buf;
        if (Libc.Statx(fd, string.Empty, Libc.AtEmptyPath | Libc.AtSymlinkNoFollow, 0x1, &buf) != 0)
        {
            throw Error(Libc.Errno, "stat", "(descriptor)");
        }

        return buf.Mode & Libc.SIfMt;
    }

    private int OpenKnownDirectory(List<string> path)
    {
        var current = _root;
        foreach (var part in path)
        {
            var fd = Libc.OpenAt(current, part, Libc.OPath | Libc.ONoFollow | Libc.ODirectory | Libc.OCloExec, 0);
            var errno = Libc.Errno;
            Release(current, owned: true);
            if (fd < 0)
            {
                throw Error(errno, "open", string.Join('/', path));
            }

            current = fd;
        }

        return current;
    }

    private void Release(int fd, bool owned)
    {
        if (owned && fd != _root && fd >= 0)
        {
            Libc.Close(fd);
        }
    }

    // The walk met `part`, which is not a directory: a symlink's target is pushed to be walked next (an absolute one
    // from the root), anything else is refused.
    private void FollowOrRefuse(int dir, string part, List<string> path, Stack<string> pending, ref int links, ref int current, ref bool owned)
    {
        var fd = Libc.OpenAt(dir, part, Libc.OPath | Libc.ONoFollow | Libc.OCloExec, 0);
        if (fd < 0)
        {
            throw Error(Libc.Errno, "open", EntryPath.Join(string.Join('/', path), part));
        }

        int type;
        try
        {
            type = TypeOf(fd);
        }
        catch
        {
            Libc.Close(fd);
            throw;
        }

        if (type != Libc.SIfLnk)
        {
            Libc.Close(fd);
            throw new EntryRefusedException($"'{EntryPath.Join(string.Join('/', path), part)}' is not a directory");
        }

        if (++links > MaxLinkFollows)
        {
            Libc.Close(fd);
            throw new EntryRefusedException($"more than {MaxLinkFollows} symbolic links in the path (a loop?)");
        }

        var target = Libc.ReadLink(fd, string.Empty, out var errno);
        Libc.Close(fd);
        if (target is null)
        {
            throw Error(errno, "readlink", EntryPath.Join(string.Join('/', path), part));
        }

        if (target.StartsWith('/'))
        {
            // An absolute target means the image's root, never the host's.
            path.Clear();
            Release(current, owned);
            current = _root;
            owned = false;
        }

        var targetParts = target.Split('/');
        for (var i = targetParts.Length - 1; i >= 0; i--)
        {
            pending.Push(targetParts[i]);
        }
    }

    // The cache key of the first `count` components ("a/b/c") in a reused buffer; _keyEnds[i] is where the prefix of
    // i + 1 components ends.
    private ReadOnlySpan<char> BuildKey(IReadOnlyList<string> components, int count)
    {
        var length = count - 1;
        for (var i = 0; i < count; i++)
        {
            length += components[i].Length;
        }

        if (_key.Length < length)
        {
            _key = new char[Math.Max(length, _key.Length * 2)];
        }

        if (_keyEnds.Length < count)
        {
            _keyEnds = new int[Math.Max(count, _keyEnds.Length * 2)];
        }

        var at = 0;
        for (var i = 0; i < count; i++)
        {
            if (i > 0)
            {
                _key[at++] = '/';
            }

            var part = components[i];
            part.CopyTo(_key.AsSpan(at));
            at += part.Length;
            _keyEnds[i] = at;
        }

        return _key.AsSpan(0, length);
    }

    // Forgets every resolved directory (a removal may have changed what a path means); the descriptors are
    // retired, not closed, because the current entry may still hold them.
    private void ClearCache()
    {
        foreach (var (fd, _) in _cache.Values)
        {
            _retired.Add(fd);
        }

        _cache.Clear();
    }

    private static uint ReadUmask()
    {
        // /proc/self/status has "Umask:\t0022" (Linux 4.7+); assume the strictest umask when it cannot be read, so
        // every file gets an explicit chmod.
        try
        {
            foreach (var line in File.ReadLines("/proc/self/status"))
            {
                if (line.StartsWith("Umask:", StringComparison.Ordinal))
                {
                    return Convert.ToUInt32(line[6..].Trim(), 8);
                }
            }
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }

        return 0x1FF;
    }

    internal static IOException Error(int errno, string operation, string physical)
    {
        var message = $"{operation} '/{physical}' failed: {Libc.Describe(errno)}";
        return errno == Libc.ENOSPC ? new IOException(message + " (disk full)", errno) : new IOException(message, errno);
    }
}
