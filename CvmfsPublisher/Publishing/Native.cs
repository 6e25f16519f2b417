using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace CvmfsImages.Publisher.Publishing;

/// <summary>
/// The few libc calls the BCL does not offer: rename without the existence check (atomic replace of a symlink),
/// renameat2(RENAME_NOREPLACE), link(2) for hardlinks, statx(2) (inode, link count, owner, without following links),
/// flock(2) for the cross-process repository lock, and readdir(3) with each entry's type (no stat per entry).
/// </summary>
internal static partial class Native
{
    private const int AtFdCwd = -100;
    private const int AtSymlinkNoFollow = 0x100;
    private const uint StatxBasicStats = 0x7ff;
    private const uint RenameNoReplaceFlag = 1;
    private const int LockExclusive = 2;
    private const int LockNonBlocking = 4;
    private const int EWouldBlock = 11;
    private const int EIntr = 4;
    private const int EAccess = 13;

    /// <summary>rename(2): atomically replaces <paramref name="newPath"/> (a file or symlink) when it exists.</summary>
    public static void Rename(string oldPath, string newPath)
    {
        if (rename(oldPath, newPath) != 0)
        {
            throw Error("rename", oldPath, newPath);
        }
    }

    /// <summary>renameat2(RENAME_NOREPLACE): fails when <paramref name="newPath"/> exists.</summary>
    public static void RenameNoReplace(string oldPath, string newPath)
    {
        if (renameat2(AtFdCwd, oldPath, AtFdCwd, newPath, RenameNoReplaceFlag) != 0)
        {
            throw Error("renameat2", oldPath, newPath);
        }
    }

    /// <summary>link(2): a hardlink <paramref name="newPath"/> to <paramref name="existingPath"/>.</summary>
    public static void Link(string existingPath, string newPath)
    {
        if (link(existingPath, newPath) != 0)
        {
            throw Error("link", existingPath, newPath);
        }
    }

    /// <summary>statx(2) without following a final symlink; null when the path does not exist.</summary>
    public static unsafe FileStatus? LStat(string path)
    {
        var buffer = stackalloc byte[256];
        if (statx(AtFdCwd, path, AtSymlinkNoFollow, StatxBasicStats, buffer) != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            if (errno is 2 or 20)
            {
                return null; // ENOENT, ENOTDIR
            }

            throw Error("statx", path, null, errno);
        }

        return new FileStatus(
            Mode: *(ushort*)(buffer + 28),
            Links: *(uint*)(buffer + 16),
            Uid: *(uint*)(buffer + 20),
            Gid: *(uint*)(buffer + 24),
            Inode: *(ulong*)(buffer + 32),
            Size: *(long*)(buffer + 40),
            MTimeSeconds: *(long*)(buffer + 112),
            DeviceMajor: *(uint*)(buffer + 136),
            DeviceMinor: *(uint*)(buffer + 140));
    }

    /// <summary>open(O_RDWR|O_CREAT|O_CLOEXEC|O_NOFOLLOW, 0644) without the BCL's own advisory lock.</summary>
    public static SafeFileHandle OpenLockFile(string path)
    {
        // O_RDWR | O_CREAT | O_CLOEXEC, and O_NOFOLLOW, whose value differs between x86-64 and arm64.
        var noFollow = RuntimeInformation.ProcessArchitecture is Architecture.Arm64 or Architecture.Arm ? 0x8000 : 0x20000;
        var fd = open(path, 0x2 | 0x40 | 0x80000 | noFollow, 0x1A4);
        if (fd < 0)
        {
            throw Error("open", path, null);
        }

        return new SafeFileHandle(fd, ownsHandle: true);
    }

    /// <summary>flock(LOCK_EX|LOCK_NB): true when taken, false when another open file description holds it.</summary>
    public static bool TryLockExclusive(SafeFileHandle handle)
    {
        while (true)
        {
            if (flock(handle, LockExclusive | LockNonBlocking) == 0)
            {
                return true;
            }

            var errno = Marshal.GetLastPInvokeError();
            if (errno == EWouldBlock)
            {
                return false;
            }

            if (errno != EIntr)
            {
                throw new IOException($"flock failed: {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno})", errno);
            }
        }
    }

    /// <summary>Entry types readdir(3) reports (d_type); <see cref="DirectoryTypeUnknown"/> where the file system does not say.</summary>
    public const byte DirectoryTypeUnknown = 0;

    public const byte DirectoryTypeDirectory = 4;

    public const byte DirectoryTypeSymlink = 10;

    /// <summary>
    /// The names and types of a directory's entries ("." and ".." left out) in one pass of readdir(3): on a FUSE mount
    /// (/cvmfs) a stat per entry is a round trip each. EACCES is an <see cref="UnauthorizedAccessException"/>.
    /// </summary>
    public static List<(string Name, byte Type)> ReadDirectory(string path)
    {
        var directory = opendir(path);
        if (directory == IntPtr.Zero)
        {
            var errno = Marshal.GetLastPInvokeError();
            throw errno == EAccess
                ? new UnauthorizedAccessException($"Access to the path '{path}' is denied.", Error("opendir", path, null, errno))
                : Error("opendir", path, null, errno);
        }

        try
        {
            var entries = new List<(string, byte)>();
            while (true)
            {
                Marshal.SetLastPInvokeError(0);
                var entry = readdir(directory);
                if (entry == IntPtr.Zero)
                {
                    var errno = Marshal.GetLastPInvokeError();
                    return errno == 0 ? entries : throw Error("readdir", path, null, errno);
                }

                // glibc's struct dirent on 64-bit Linux: d_ino (8), d_off (8), d_reclen (2), d_type (1), d_name.
                var name = Marshal.PtrToStringUTF8(entry + 19) ?? string.Empty;
                if (name is not ("." or ".."))
                {
                    entries.Add((name, Marshal.ReadByte(entry, 18)));
                }
            }
        }
        finally
        {
            _ = closedir(directory);
        }
    }

    private static IOException Error(string call, string path, string? other, int? errno = null)
    {
        var code = errno ?? Marshal.GetLastPInvokeError();
        var paths = other is null ? $"'{path}'" : $"'{path}' -> '{other}'";
        var message = $"{call} {paths}: {Marshal.GetPInvokeErrorMessage(code)} (errno {code})";
        return new IOException(message, code);
    }

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int rename(string oldPath, string newPath);

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int renameat2(int oldDirFd, string oldPath, int newDirFd, string newPath, uint flags);

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int link(string existingPath, string newPath);

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static unsafe partial int statx(int dirFd, string path, int flags, uint mask, byte* buffer);

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int open(string path, int flags, int mode);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int flock(SafeFileHandle fd, int operation);

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial IntPtr opendir(string path);

    [LibraryImport("libc", SetLastError = true)]
    private static partial IntPtr readdir(IntPtr directory);

    [LibraryImport("libc")]
    private static partial int closedir(IntPtr directory);
}
