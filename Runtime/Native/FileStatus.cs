using System.Runtime.InteropServices;

namespace CvmfsImages.Runtime.Native;

/// <summary>What <c>statx(AT_SYMLINK_NOFOLLOW)</c> says about one path: type, permission bits and owner.</summary>
internal readonly record struct FileStatus(FileKind Kind, uint Mode, uint Uid, uint Gid)
{
    private const uint TypeMask = 0xF000;

    public bool Exists => Kind != FileKind.Missing;

    /// <summary>Group- or other-writable.</summary>
    public bool IsWritableByOthers => (Mode & 0x12) != 0;

    public bool IsSticky => (Mode & 0x200) != 0;

    /// <summary>The status of <paramref name="path"/> itself (a symlink is reported as <see cref="FileKind.Symlink"/>).</summary>
    /// <exception cref="IOException">a failure other than "does not exist" (permission, loop, I/O).</exception>
    public static unsafe FileStatus Of(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        Libc.StatxBuffer buffer;
        if (Libc.Statx(Libc.AtFdCwd, path, Libc.AtSymlinkNoFollow, Libc.StatxBasicStats, &buffer) != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            // ENOENT and ENOTDIR both mean "nothing there" for a lookup.
            if (errno is 2 or 20)
            {
                return new FileStatus(FileKind.Missing, 0, 0, 0);
            }

            throw new IOException($"cannot stat {path}: {Marshal.GetPInvokeErrorMessage(errno)}", errno);
        }

        var kind = (buffer.Mode & TypeMask) switch
        {
            0x4000 => FileKind.Directory,
            0x8000 => FileKind.Regular,
            0xA000 => FileKind.Symlink,
            _ => FileKind.Other,
        };
        return new FileStatus(kind, buffer.Mode & 0xFFFu, buffer.Uid, buffer.Gid);
    }
}
