using CvmfsImages.TestSupport;
using Xunit;

namespace CvmfsImages.Tests.CvmfsPublisher.Flattening;

/// <summary>Modes for CVMFS and deterministic mtimes.</summary>
public sealed class ModeTests
{
    [Theory]
    [InlineData(0x180, 0x1A4)] // 0600 -> 0644
    [InlineData(0x1C0, 0x1ED)] // 0700 -> 0755
    [InlineData(0x000, 0x1A4)] // 0000 -> 0644
    [InlineData(0x9ED, 0x1ED)] // 4755 (setuid) -> 0755
    [InlineData(0x5ED, 0x1ED)] // 2755 (setgid) -> 0755
    [InlineData(0x3FF, 0x1FF)] // 1777 file: sticky dropped, 0777 kept
    [InlineData(0x148, 0x1ED)] // 0510 -> owner x: a+x, owner write added
    [InlineData(0x109, 0x1A4 | 0x9)] // 0411 -> a+r, u+w, group/other x kept
    public async Task File_modes_are_made_world_readable_without_setuid(int tarMode, int expected)
    {
        using var tree = await TestLayers.FlattenAsync(new TarBuilder().File("f", "x", (UnixFileMode)tarMode));
        Assert.Equal((UnixFileMode)expected, tree.Mode("f"));
    }

    [Theory]
    [InlineData(0x1C0, 0x1ED)] // 0700 -> 0755
    [InlineData(0x000, 0x1ED)] // 0000 -> 0755
    [InlineData(0x3FF, 0x3FF)] // 1777 kept (sticky on directories)
    [InlineData(0x5ED, 0x1ED)] // 2755 -> 0755 (setgid dropped)
    [InlineData(0x1FF, 0x1FF)] // 0777 kept
    public async Task Directory_modes_are_made_world_traversable_keeping_only_sticky(int tarMode, int expected)
    {
        using var tree = await TestLayers.FlattenAsync(new TarBuilder().Directory("d", (UnixFileMode)tarMode).File("d/f", "x"));
        Assert.Equal((UnixFileMode)expected, tree.Mode("d"));
        Assert.Equal("x", tree.Read("d/f"));
    }

    [Fact]
    public async Task Mtimes_come_from_the_tar_and_implicit_directories_get_the_fixed_time()
    {
        var fileTime = new DateTimeOffset(2020, 5, 6, 7, 8, 9, TimeSpan.Zero);
        var dirTime = new DateTimeOffset(2018, 1, 2, 3, 4, 5, TimeSpan.Zero);
        var linkTime = new DateTimeOffset(2017, 1, 1, 0, 0, 0, TimeSpan.Zero);
        using var tree = await TestLayers.FlattenAsync(new TarBuilder()
            .Directory("explicit", mtime: dirTime).File("explicit/f", "x", mtime: fileTime)
            .File("implicit/deeper/f", "y", mtime: fileTime).Symlink("link", "explicit", linkTime));
        Assert.Equal(fileTime.UtcDateTime, File.GetLastWriteTimeUtc(tree.Path("explicit/f")));
        Assert.Equal(dirTime.UtcDateTime, Directory.GetLastWriteTimeUtc(tree.Path("explicit")));
        Assert.Equal(DateTime.UnixEpoch, Directory.GetLastWriteTimeUtc(tree.Path("implicit")));
        Assert.Equal(DateTime.UnixEpoch, Directory.GetLastWriteTimeUtc(tree.Path("implicit/deeper")));
        Assert.Equal(linkTime.UtcDateTime, new FileInfo(tree.Path("link")).LastWriteTimeUtc);
        Assert.Equal((UnixFileMode)0x1ED, tree.Mode("implicit"));
    }

    [Fact]
    public async Task The_same_image_always_gives_the_same_tree()
    {
        TarBuilder[] Layers() =>
        [
            new TarBuilder().Directory("etc", mtime: DateTimeOffset.FromUnixTimeSeconds(1000)).File("etc/a", "a").File("x/y/z", "z").Symlink("l", "x"),
            new TarBuilder().Whiteout("etc/a").File("etc/b", "b").Opaque("x"),
        ];
        using var first = await TestLayers.FlattenAsync(Layers());
        using var second = await TestLayers.FlattenAsync(Layers());
        Assert.Equal(TreeSnapshot.Take(first.Root, withTimes: true), TreeSnapshot.Take(second.Root, withTimes: true));
    }
}
