using System.Runtime.InteropServices;

namespace CvmfsImages.Publisher.Native;

/// <summary>
/// The few libc calls the flattener needs to write a tree through directory file descriptors without ever following
/// a link (the *at family, statx, readdir). Linux only; flag values differ between architectures and are chosen once.
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
    public const byte DtUnknown = 0;

    private const string Lib = "libc";

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
                var ent = ReadDir(dir);
                if (ent == 0)
                {
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

        [FieldOffset(28)]
        public ushort Mode;

        [FieldOffset(32)]
        public ulong Ino;

        [FieldOffset(40)]
        public ulong Size;

        [FieldOffset(136)]
        public uint DevMajor;

        [FieldOffset(140)]
        public uint DevMinor;
    }
}
