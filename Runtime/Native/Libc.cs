using System.Runtime.InteropServices;

namespace CvmfsImages.Runtime.Native;

/// <summary>
/// The few libc calls the front end needs and the BCL does not offer: identity, password database, <c>statx</c>
/// (owner and type without following links), <c>execve</c>, and a unix socket for the trace record (the BCL's
/// sockets stack would cost every job its start-up). Source-generated (<c>LibraryImport</c>): AOT-clean.
/// </summary>
internal static unsafe partial class Libc
{
    public const int AtFdCwd = -100;
    public const int AtSymlinkNoFollow = 0x100;
    public const uint StatxBasicStats = 0x7ff;
    public const ushort AfUnix = 1;
    public const int SockStream = 1;
    public const int SockDgram = 2;
    public const int SockCloexec = 0x80000;
    public const int SolSocket = 1;
    public const int SoSndTimeo = 21;
    public const int MsgNoSignal = 0x4000;
    public const int EProtoType = 91;

    [LibraryImport("libc", EntryPoint = "getuid")]
    public static partial uint GetUid();

    [LibraryImport("libc", EntryPoint = "getgid")]
    public static partial uint GetGid();

    [LibraryImport("libc", EntryPoint = "getpid")]
    public static partial int GetPid();

    [LibraryImport("libc", EntryPoint = "getppid")]
    public static partial int GetPPid();

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

    [LibraryImport("libc", EntryPoint = "socket", SetLastError = true)]
    public static partial int Socket(int domain, int type, int protocol);

    [LibraryImport("libc", EntryPoint = "connect", SetLastError = true)]
    public static partial int Connect(int fd, SockAddrUnix* address, uint length);

    [LibraryImport("libc", EntryPoint = "setsockopt", SetLastError = true)]
    public static partial int SetSockOpt(int fd, int level, int name, void* value, uint length);

    [LibraryImport("libc", EntryPoint = "send", SetLastError = true)]
    public static partial nint Send(int fd, byte* data, nuint length, int flags);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    public static partial int Close(int fd);

    [LibraryImport("libc", EntryPoint = "localtime_r")]
    public static partial Tm* LocalTimeR(long* time, Tm* result);

    /// <summary>The local wall-clock time of <paramref name="unixSeconds"/> (libc's time zone: TZ, /etc/localtime).</summary>
    public static DateTime LocalTime(long unixSeconds)
    {
        Tm tm;
        if (LocalTimeR(&unixSeconds, &tm) is null)
        {
            return DateTimeOffset.FromUnixTimeSeconds(unixSeconds).UtcDateTime;
        }

        return new DateTime(tm.Year + 1900, tm.Month + 1, tm.Day, tm.Hour, tm.Minute, Math.Min(tm.Second, 59), DateTimeKind.Unspecified);
    }

    /// <summary><c>struct sockaddr_un</c>.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct SockAddrUnix
    {
        public ushort Family;
        public fixed byte Path[108];
    }

    /// <summary><c>struct timeval</c> (LP64).</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct TimeVal
    {
        public long Seconds;
        public long Microseconds;
    }

    /// <summary><c>struct tm</c> (glibc, LP64).</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct Tm
    {
        public int Second;
        public int Minute;
        public int Hour;
        public int Day;
        public int Month;
        public int Year;
        public int WeekDay;
        public int YearDay;
        public int IsDst;
        public long GmtOffset;
        public nint Zone;
    }

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
