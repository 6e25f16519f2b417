namespace CvmfsImages.Publisher.Native;

/// <summary>What statx(2) says about one path (not following a final symlink).</summary>
internal readonly record struct FileStatus(
    ushort Mode, uint Links, uint Uid, uint Gid, ulong Inode, long Size, long MTimeSeconds, uint DeviceMajor, uint DeviceMinor)
{
    private const int TypeMask = 0xF000;

    public bool IsDirectory => (Mode & TypeMask) == 0x4000;

    public bool IsRegularFile => (Mode & TypeMask) == 0x8000;

    public bool IsSymlink => (Mode & TypeMask) == 0xA000;

    /// <summary>The permission bits (including setuid/setgid/sticky).</summary>
    public UnixFileMode Permissions => (UnixFileMode)(Mode & 0xFFF);

    /// <summary>Identifies the inode on its file system (for hardlink detection).</summary>
    public (uint, uint, ulong) Identity => (DeviceMajor, DeviceMinor, Inode);
}
