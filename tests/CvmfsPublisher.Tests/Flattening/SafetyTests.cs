using System.Formats.Tar;
using CvmfsImages.TestSupport;
using Xunit;

namespace CvmfsImages.Tests.CvmfsPublisher.Flattening;

/// <summary>
/// Hostile layers: nothing may be written outside the root. Parents through image symlinks resolve inside the root
/// (securejoin); names climbing out with '..' and anything replacing the root are refused, naming layer and entry.
/// </summary>
public sealed class SafetyTests
{
    [Fact]
    public async Task Symlink_to_absolute_etc_then_a_file_under_it_lands_in_the_roots_etc()
    {
        var hostPasswd = File.ReadAllText("/etc/passwd");
        using var tree = await TestLayers.FlattenAsync(new TarBuilder().Symlink("x", "/etc").File("x/passwd", "evil::0:0::/:/bin/sh\n"));
        Assert.Equal(hostPasswd, File.ReadAllText("/etc/passwd"));
        Assert.Equal("evil::0:0::/:/bin/sh\n", tree.Read("etc/passwd"));
        Assert.Equal("/etc", tree.LinkTarget("x"));
    }

    [Fact]
    public async Task Symlink_climbing_far_above_the_root_is_clamped_at_the_root()
    {
        using var tree = await TestLayers.FlattenAsync(new TarBuilder().Directory("a/b").Symlink("a/b/x", "../../../../../..").File("a/b/x/y", "clamped"));
        Assert.Equal("clamped", tree.Read("y"));
        Assert.False(File.Exists(Path.Combine(tree.Temp.Path, "y")));
        Assert.False(File.Exists("/y"));
    }

    [Fact]
    public async Task Symlink_relative_to_the_parent_of_the_root_then_a_file_stays_inside()
    {
        using var tree = await TestLayers.FlattenAsync(new TarBuilder().Symlink("x", "../../..").File("x/y", "inside"));
        Assert.Equal("inside", tree.Read("y"));
        Assert.False(File.Exists(Path.Combine(tree.Temp.Path, "y")));
    }

    [Fact]
    public async Task Absolute_symlink_to_a_real_host_directory_as_a_parent_never_writes_on_the_host()
    {
        using var host = new TempDirectory("host-victim");
        using var tree = await TestLayers.FlattenAsync(new TarBuilder().Symlink("abs", host.Path).File("abs/planted", "x").Directory("abs/dir"));
        Assert.Empty(Directory.EnumerateFileSystemEntries(host.Path));
        Assert.Equal("x", tree.Read(host.Path.TrimStart('/') + "/planted"));
    }

    [Fact]
    public async Task Chained_symlinks_resolve_inside_the_root_and_a_hardlink_through_them_cannot_reach_the_host()
    {
        // h -> x/passwd where x -> /etc: the target is <root>/etc/passwd, which does not exist; the host's is never linked.
        var ex = await TestLayers.RefusedAsync(new TarBuilder().Symlink("x", "/etc").Hardlink("h", "x/passwd"));
        Assert.Equal("h", ex.EntryName);
        Assert.Contains("does not exist", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Hardlink_to_dot_dot_etc_shadow_is_refused_naming_layer_and_entry()
    {
        var layer = new TarBuilder().File("ok", "ok").Hardlink("shadow", "../../etc/shadow");
        var input = TestLayers.Plain(layer);
        var ex = await TestLayers.FailsAsync<Publisher.Flattening.LayerException>([input]);
        Assert.Equal(input.Digest, ex.LayerDigest);
        Assert.Equal("shadow", ex.EntryName);
        Assert.Contains(input.Digest, ex.Message, StringComparison.Ordinal);
        Assert.Contains("../../etc/shadow", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("../evil")]
    [InlineData("a/../../evil")]
    [InlineData("/../evil")]
    [InlineData("./a/b/../../../evil")]
    public async Task Names_climbing_out_with_dot_dot_are_refused(string name)
    {
        var ex = await TestLayers.RefusedAsync(new TarBuilder().File("first", "1").File(name, "x"));
        Assert.Equal(name, ex.EntryName);
        Assert.Contains(name, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Dot_dot_that_stays_inside_and_absolute_names_are_taken_relative_to_the_root()
    {
        using var tree = await TestLayers.FlattenAsync(new TarBuilder().File("/abs/file", "a").File("a/b/../c", "c").File("./d/./e", "e"));
        Assert.Equal("a", tree.Read("abs/file"));
        Assert.Equal("c", tree.Read("a/c"));
        Assert.Equal("e", tree.Read("d/e"));
    }

    [Theory]
    [InlineData(".", TarEntryType.SymbolicLink)]
    [InlineData("./", TarEntryType.SymbolicLink)]
    [InlineData("/", TarEntryType.SymbolicLink)]
    [InlineData("a/..", TarEntryType.SymbolicLink)]
    [InlineData(".", TarEntryType.RegularFile)]
    [InlineData("./", TarEntryType.HardLink)]
    public async Task An_entry_that_would_turn_the_root_into_something_else_is_refused(string name, TarEntryType type)
    {
        var entry = new PaxTarEntry(type, name);
        if (type != TarEntryType.RegularFile)
        {
            entry.LinkName = "/etc";
        }

        var ex = await TestLayers.RefusedAsync(new TarBuilder().File("etc/x", "x").Entry(entry));
        Assert.Equal(name, ex.EntryName);
        Assert.Contains("root", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_root_directory_entry_sets_the_roots_mode_and_mtime()
    {
        var mtime = new DateTimeOffset(2019, 1, 1, 0, 0, 0, TimeSpan.Zero);
        using var tree = await TestLayers.FlattenAsync(new TarBuilder().Directory("./", (UnixFileMode)0x1C0, mtime).File("f", "f"));
        Assert.Equal((UnixFileMode)0x1ED, tree.Mode("."));
        Assert.Equal(mtime.UtcDateTime, Directory.GetLastWriteTimeUtc(tree.Root));
    }

    [Fact]
    public async Task A_symlink_loop_in_a_parent_is_refused()
    {
        var ex = await TestLayers.RefusedAsync(new TarBuilder().Symlink("a", "b").Symlink("b", "a").File("a/x", "x"));
        Assert.Equal("a/x", ex.EntryName);
        Assert.Contains("symbolic links", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_file_used_as_a_parent_directory_is_refused()
    {
        var ex = await TestLayers.RefusedAsync(new TarBuilder().File("f", "file").File("f/x", "x"));
        Assert.Equal("f/x", ex.EntryName);
        Assert.Contains("not a directory", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_refusal_in_a_later_layer_fails_the_whole_image_and_removes_the_tree()
    {
        var good = TestLayers.Plain(new TarBuilder().File("a", "a").Directory("d"));
        var bad = TestLayers.Plain(new TarBuilder().File("b", "b").Hardlink("c", "../outside"));
        var ex = await TestLayers.FailsAsync<Publisher.Flattening.LayerException>([good, bad]);
        Assert.Equal(bad.Digest, ex.LayerDigest);
    }
}
