using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace CvmfsImages.Publisher.Publishing;

/// <summary>
/// The few libc calls the BCL does not offer: rename without the existence check (atomic replace of a symlink),
/// renameat2(RENAME_NOREPLACE), link(2) for hardlinks, statx(2) (inode, link count, owner, without following links),
/// and flock(2) for the cross-process repository lock.
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

    [LibraryImport("libc", SetLastError = true)]
    private static partial int flock(SafeFileHandle fd, int operation);
}
