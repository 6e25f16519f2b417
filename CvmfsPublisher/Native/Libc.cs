using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace CvmfsImages.Publisher.Native;

/// <summary>
/// The libc calls this assembly makes, in one place: for the flattener, writing a tree through directory file
/// descriptors without ever following a link (the *at family, statx, readdir); for the publisher, what the BCL does
/// not offer (rename that replaces a symlink atomically, renameat2(RENAME_NOREPLACE), hardlinks, lstat with inode,
/// link count and owner, and flock(2) for the cross-process repository lock). Linux only; flag values differ between
/// architectures and are chosen once.
/// </summary>
internal static unsafe partial class Libc
{
    public const int AtFdCwd = -100;
    public const int AtSymlinkNoFollow = 0x100;
    public const int AtRemoveDir = 0x200;
    public const int AtEmptyPath = 0x1000;

    public const int OWrOnly = 0x1;
    public const int OCreat = 0x40;
    public const int OExcl = 0x80;
    public const int OCloExec = 0x80000;
    public const int OPath = 0x200000;

    public const int ENOENT = 2;
    public const int EINTR = 4;
    public const int EAGAIN = 11;
    public const int EACCES = 13;
    public const int EEXIST = 17;
    public const int ENOTDIR = 20;
    public const int EISDIR = 21;
    public const int ENOSPC = 28;
    public const int ENOTEMPTY = 39;
    public const int ELOOP = 40;

    public const ushort SIfMt = 0xF000;
    public const ushort SIfDir = 0x4000;
    public const ushort SIfReg = 0x8000;
    public const ushort SIfLnk = 0xA000;

    public const byte DtDir = 4;
    public const byte DtLnk = 10;
    public const byte DtUnknown = 0;

    private const string Lib = "libc";
    private const uint StatxBasicStats = 0x7ff;
    private const uint RenameNoReplaceFlag = 1;
    private const int LockExclusive = 2;
    private const int LockNonBlocking = 4;

    // O_DIRECTORY and O_NOFOLLOW are the only flags used here whose values differ: arm64 (and arm) use the
    // "asm-generic" alternates.
    private static readonly bool AltFlags =
        RuntimeInformation.ProcessArchitecture is Architecture.Arm64 or Architecture.Arm;

    public static int ODirectory { get; } = AltFlags ? 0x4000 : 0x10000;

    public static int ONoFollow { get; } = AltFlags ? 0x8000 : 0x20000;

    [LibraryImport(Lib, EntryPoint = "openat", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int OpenAt(int dirfd, string path, int flags, uint mode);

    [LibraryImport(Lib, EntryPoint = "close", SetLastError = true)]
    public static partial int Close(int fd);

    [LibraryImport(Lib, EntryPoint = "mkdirat", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int MkdirAt(int dirfd, string path, uint mode);

    [LibraryImport(Lib, EntryPoint = "symlinkat", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int SymlinkAt(string target, int newdirfd, string linkpath);

    [LibraryImport(Lib, EntryPoint = "linkat", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int LinkAt(int olddirfd, string oldpath, int newdirfd, string newpath, int flags);

    [LibraryImport(Lib, EntryPoint = "unlinkat", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int UnlinkAt(int dirfd, string path, int flags);

    [LibraryImport(Lib, EntryPoint = "readlinkat", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial nint ReadlinkAt(int dirfd, string path, byte* buf, nuint size);

    [LibraryImport(Lib, EntryPoint = "fchmod", SetLastError = true)]
    public static partial int Fchmod(int fd, uint mode);

    [LibraryImport(Lib, EntryPoint = "fchmodat", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int FchmodAt(int dirfd, string path, uint mode, int flags);

    [LibraryImport(Lib, EntryPoint = "utimensat", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int UtimensAt(int dirfd, string path, Timespec* times, int flags);

    [LibraryImport(Lib, EntryPoint = "futimens", SetLastError = true)]
    public static partial int Futimens(int fd, Timespec* times);

    [LibraryImport(Lib, EntryPoint = "pwrite", SetLastError = true)]
    public static partial nint Pwrite(int fd, byte* buf, nuint count, long offset);

    [LibraryImport(Lib, EntryPoint = "ftruncate", SetLastError = true)]
    public static partial int Ftruncate(int fd, long length);

    [LibraryImport(Lib, EntryPoint = "statx", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int Statx(int dirfd, string path, int flags, uint mask, StatxBuffer* buf);

    [LibraryImport(Lib, EntryPoint = "renameat2", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int RenameAt2(int olddirfd, string oldpath, int newdirfd, string newpath, uint flags);

    [LibraryImport(Lib, EntryPoint = "flock", SetLastError = true)]
    public static partial int Flock(SafeFileHandle fd, int operation);

    [LibraryImport(Lib, EntryPoint = "mkdir", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int Mkdir(string path, uint mode);

    [LibraryImport(Lib, EntryPoint = "fdopendir", SetLastError = true)]
    public static partial nint FdOpenDir(int fd);

    [LibraryImport(Lib, EntryPoint = "readdir64", SetLastError = true)]
    public static partial nint ReadDir(nint dir);

    [LibraryImport(Lib, EntryPoint = "closedir", SetLastError = true)]
    public static partial int CloseDir(nint dir);

    /// <summary>errno of the last failed call on this thread.</summary>
    public static int Errno => Marshal.GetLastPInvokeError();

    /// <summary>strerror text for <paramref name="errno"/>.</summary>
    public static string Describe(int errno) => Marshal.GetPInvokeErrorMessage(errno);

    /// <summary>The type bits (S_IFMT) of the entry <paramref name="name"/> in <paramref name="dirfd"/>, never following a link; 0 when it does not exist.</summary>
    public static ushort TypeAt(int dirfd, string name, out int errno)
    {
        StatxBuffer buf;
        if (Statx(dirfd, name, AtSymlinkNoFollow, 0x1 /* STATX_TYPE */ | 0x100 /* STATX_INO */, &buf) != 0)
        {
            errno = Errno;
            return 0;
        }

        errno = 0;
        return (ushort)(buf.Mode & SIfMt);
    }

    /// <summary>Reads the target of the link <paramref name="name"/> in <paramref name="dirfd"/>.</summary>
    public static string? ReadLink(int dirfd, string name, out int errno)
    {
        var buffer = stackalloc byte[4097];
        var n = ReadlinkAt(dirfd, name, buffer, 4097);
        if (n < 0)
        {
            errno = Errno;
            return null;
        }

        errno = 0;
        return System.Text.Encoding.UTF8.GetString(buffer, (int)Math.Min(n, 4096));
    }

    /// <summary>The names in the directory open as <paramref name="fd"/> (consumed and closed), with their d_type.</summary>
    public static List<(string Name, byte Type)> ReadDirectory(int fd)
    {
        var dir = FdOpenDir(fd);
        if (dir == 0)
        {
            var errno = Errno;
            Close(fd);
            throw new IOException($"fdopendir failed: {Describe(errno)}");
        }

        var list = new List<(string, byte)>();
        try
        {
            while (true)
            {
                Marshal.SetLastPInvokeError(0);
                var ent = ReadDir(dir);
                if (ent == 0)
                {
                    // NULL is the end, or an error when errno says so: never a silently short listing.
                    var errno = Errno;
                    if (errno != 0)
                    {
                        throw new IOException($"readdir failed: {Describe(errno)}", errno);
                    }

                    break;
                }

                var type = *((byte*)ent + 18);
                var name = Marshal.PtrToStringUTF8(ent + 19)!;
                if (name is "." or "..")
                {
                    continue;
                }

                list.Add((name, type));
            }
        }
        finally
        {
            CloseDir(dir);
        }

        return list;
    }

    /// <summary>rename(2): atomically replaces <paramref name="newPath"/> (a file or symlink) when it exists.</summary>
    public static void Rename(string oldPath, string newPath)
    {
        if (RenameAt2(AtFdCwd, oldPath, AtFdCwd, newPath, 0) != 0)
        {
            throw PathError("rename", oldPath, newPath, Errno);
        }
    }

    /// <summary>renameat2(RENAME_NOREPLACE): fails when <paramref name="newPath"/> exists.</summary>
    public static void RenameNoReplace(string oldPath, string newPath)
    {
        if (RenameAt2(AtFdCwd, oldPath, AtFdCwd, newPath, RenameNoReplaceFlag) != 0)
        {
            throw PathError("renameat2", oldPath, newPath, Errno);
        }
    }

    /// <summary>link(2): a hardlink <paramref name="newPath"/> to <paramref name="existingPath"/> (a link itself is not followed).</summary>
    public static void Link(string existingPath, string newPath)
    {
        if (LinkAt(AtFdCwd, existingPath, AtFdCwd, newPath, 0) != 0)
        {
            throw PathError("link", existingPath, newPath, Errno);
        }
    }

    /// <summary>statx(2) without following a final symlink; null when the path does not exist.</summary>
    public static FileStatus? LStat(string path)
    {
        StatxBuffer buf;
        if (Statx(AtFdCwd, path, AtSymlinkNoFollow, StatxBasicStats, &buf) != 0)
        {
            var errno = Errno;
            return errno is ENOENT or ENOTDIR ? null : throw PathError("statx", path, null, errno);
        }

        return new FileStatus(buf.Mode, buf.Nlink, buf.Uid, buf.Gid, buf.Ino, (long)buf.Size, buf.MtimeSeconds, buf.DevMajor, buf.DevMinor);
    }

    /// <summary>open(O_RDWR|O_CREAT|O_CLOEXEC|O_NOFOLLOW, 0644) without the BCL's own advisory lock.</summary>
    public static SafeFileHandle OpenLockFile(string path)
    {
        const int oRdWr = 0x2;
        var fd = OpenAt(AtFdCwd, path, oRdWr | OCreat | OCloExec | ONoFollow, 0x1A4);
        if (fd < 0)
        {
            throw PathError("open", path, null, Errno);
        }

        return new SafeFileHandle(fd, ownsHandle: true);
    }

    /// <summary>flock(LOCK_EX|LOCK_NB): true when taken, false when another open file description holds it.</summary>
    public static bool TryLockExclusive(SafeFileHandle handle)
    {
        while (true)
        {
            if (Flock(handle, LockExclusive | LockNonBlocking) == 0)
            {
                return true;
            }

            var errno = Errno;
            if (errno == EAGAIN)
            {
                return false;
            }

            if (errno != EINTR)
            {
                throw new IOException($"flock failed: {Describe(errno)} (errno {errno})", errno);
            }
        }
    }

    /// <summary>
    /// The names and types (<see cref="DtDir"/>, <see cref="DtLnk"/>, <see cref="DtUnknown"/> where the file system
    /// does not say) of a directory's entries ("." and ".." left out) in one pass of readdir(3): on a FUSE mount
    /// (/cvmfs) a stat per entry is a round trip each. EACCES is an <see cref="UnauthorizedAccessException"/>.
    /// </summary>
    public static List<(string Name, byte Type)> ReadDirectory(string path)
    {
        var fd = OpenAt(AtFdCwd, path, ODirectory | OCloExec, 0);
        if (fd < 0)
        {
            var errno = Errno;
            throw errno == EACCES
                ? new UnauthorizedAccessException($"Access to the path '{path}' is denied.", PathError("open", path, null, errno))
                : PathError("open", path, null, errno);
        }

        return ReadDirectory(fd);
    }

    private static IOException PathError(string call, string path, string? other, int errno)
    {
        var paths = other is null ? $"'{path}'" : $"'{path}' -> '{other}'";
        return new IOException($"{call} {paths}: {Describe(errno)} (errno {errno})", errno);
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct Timespec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    /// <summary>struct statx: the same layout on every Linux architecture (256 bytes).</summary>
    [StructLayout(LayoutKind.Explicit, Size = 256)]
    public struct StatxBuffer
    {
        [FieldOffset(16)]
        public uint Nlink;

        [FieldOffset(20)]
        public uint Uid;

        [FieldOffset(24)]
        public uint Gid;

        [FieldOffset(28)]
        public ushort Mode;

        [FieldOffset(32)]
        public ulong Ino;

        [FieldOffset(40)]
        public ulong Size;

        /// <summary>stx_mtime.tv_sec.</summary>
        [FieldOffset(112)]
        public long MtimeSeconds;

        [FieldOffset(136)]
        public uint DevMajor;

        [FieldOffset(140)]
        public uint DevMinor;
    }
}
