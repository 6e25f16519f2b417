using System.Text;

namespace CvmfsImages.TestSupport.Images;

/// <summary>
/// One entry of a <see cref="TestImage"/> layer tar. Paths are written as given (relative, e.g. <c>etc/hosts</c>), so
/// tests can also write hostile names (<c>../x</c>, absolute paths); whiteouts are files named <c>.wh.NAME</c>, built by
/// <see cref="Whiteout"/> and <see cref="OpaqueWhiteout"/>.
/// </summary>
public sealed record TestFile(string Path, TestFileKind Kind, ReadOnlyMemory<byte> Content, string? LinkTarget = null, UnixFileMode Mode = (UnixFileMode)0b110_100_100)
{
    /// <summary>The owner's user id in the tar header.</summary>
    public int Uid { get; init; }

    /// <summary>The owner's group id in the tar header.</summary>
    public int Gid { get; init; }

    /// <summary>The modification time in the tar header (fixed by default, so builds are reproducible).</summary>
    public DateTimeOffset ModificationTime { get; init; } = new(2024, 1, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>A regular file with UTF-8 text content (mode 0644 unless given).</summary>
    public static TestFile Text(string path, string content, UnixFileMode mode = (UnixFileMode)0b110_100_100) =>
        new(path, TestFileKind.File, Encoding.UTF8.GetBytes(content), null, mode);

    /// <summary>A regular file with binary content.</summary>
    public static TestFile Bytes(string path, ReadOnlyMemory<byte> content, UnixFileMode mode = (UnixFileMode)0b110_100_100) =>
        new(path, TestFileKind.File, content, null, mode);

    /// <summary>A directory (mode 0755 unless given).</summary>
    public static TestFile Dir(string path, UnixFileMode mode = (UnixFileMode)0b111_101_101) =>
        new(path, TestFileKind.Directory, ReadOnlyMemory<byte>.Empty, null, mode);

    /// <summary>A symbolic link to <paramref name="target"/> (written as given).</summary>
    public static TestFile Symlink(string path, string target) =>
        new(path, TestFileKind.Symlink, ReadOnlyMemory<byte>.Empty, target, (UnixFileMode)0b111_111_111);

    /// <summary>A hard link to an earlier entry <paramref name="target"/>.</summary>
    public static TestFile Hardlink(string path, string target) =>
        new(path, TestFileKind.Hardlink, ReadOnlyMemory<byte>.Empty, target);

    /// <summary>A whiteout deleting <paramref name="path"/> of a lower layer (<c>dir/.wh.name</c>).</summary>
    public static TestFile Whiteout(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        var slash = path.TrimEnd('/').LastIndexOf('/');
        var dir = slash < 0 ? string.Empty : path[..(slash + 1)];
        return new TestFile(dir + ".wh." + path.TrimEnd('/')[(slash + 1)..], TestFileKind.File, ReadOnlyMemory<byte>.Empty);
    }

    /// <summary>An opaque whiteout: the directory hides everything lower layers put in it (<c>dir/.wh..wh..opq</c>).</summary>
    public static TestFile OpaqueWhiteout(string directory)
    {
        ArgumentNullException.ThrowIfNull(directory);
        return new TestFile(directory.TrimEnd('/') + "/.wh..wh..opq", TestFileKind.File, ReadOnlyMemory<byte>.Empty);
    }
}
