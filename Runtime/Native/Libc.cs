using System.Runtime.InteropServices;

namespace CvmfsImages.Runtime.Native;

/// <summary>
/// The few libc calls the front end needs and the BCL does not offer: identity, password database, <c>statx</c>
/// (owner and type without following links) and <c>execve</c>. Source-generated (<c>LibraryImport</c>): AOT-clean.
/// </summary>
internal static unsafe partial class Libc
{
    public const int AtFdCwd = -100;
    public const int AtSymlinkNoFollow = 0x100;
    public const uint StatxBasicStats = 0x7ff;

    [LibraryImport("libc", EntryPoint = "getuid")]
    public static partial uint GetUid();

    [LibraryImport("libc", EntryPoint = "getgid")]
    public static partial uint GetGid();

    [LibraryImport("libc", EntryPoint = "getpid")]
    public static partial int GetPid();

    [LibraryImport("libc", EntryPoint = "getpwuid")]
    public static partial PasswdEntry* GetPwUid(uint uid);

    [LibraryImport("libc", EntryPoint = "getgrgid")]
    public static partial GroupEntry* GetGrGid(uint gid);

    [LibraryImport("libc", EntryPoint = "statx", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int Statx(int dirFd, string path, int flags, uint mask, StatxBuffer* buffer);

    [LibraryImport("libc", EntryPoint = "realpath", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial nint RealPath(string path, nint resolved);

    [LibraryImport("libc", EntryPoint = "free")]
    public static partial void Free(nint pointer);

    [LibraryImport("libc", EntryPoint = "memfd_create", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int MemfdCreate(string name, uint flags);

    [LibraryImport("libc", EntryPoint = "execve", SetLastError = true)]
    public static partial int Execve(byte* path, byte** argv, byte** envp);

    /// <summary><c>struct passwd</c> (LP64 layout: pointers 8 bytes, uid_t/gid_t 4 bytes).</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct PasswdEntry
    {
        public nint Name;
        public nint Password;
        public uint Uid;
        public uint Gid;
        public nint Gecos;
        public nint Directory;
        public nint Shell;
    }

    /// <summary><c>struct group</c>.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct GroupEntry
    {
        public nint Name;
        public nint Password;
        public uint Gid;
        public nint Members;
    }

    /// <summary><c>struct statx</c>: the same layout on every architecture (256 bytes).</summary>
    [StructLayout(LayoutKind.Explicit, Size = 256)]
    public struct StatxBuffer
    {
        [FieldOffset(0)] public uint Mask;
        [FieldOffset(4)] public uint BlockSize;
        [FieldOffset(8)] public ulong Attributes;
        [FieldOffset(16)] public uint Links;
        [FieldOffset(20)] public uint Uid;
        [FieldOffset(24)] public uint Gid;
        [FieldOffset(28)] public ushort Mode;
        [FieldOffset(40)] public ulong Size;
    }
}
