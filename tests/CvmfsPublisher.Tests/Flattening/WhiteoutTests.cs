using CvmfsImages.TestSupport;
using Xunit;

namespace CvmfsImages.Tests.CvmfsPublisher.Flattening;

/// <summary>OCI whiteouts and opaque directories, including same-layer content in either entry order.</summary>
public sealed class WhiteoutTests
{
    private static TarBuilder Lower() => new TarBuilder()
        .Directory("a").File("a/b", "lower b").File("a/c", "lower c")
        .Directory("a/sub").File("a/sub/deep", "lower deep")
        .Directory("d").File("d/x", "lower x").Directory("d/sub").File("d/sub/old", "old").Symlink("d/link", "/etc");

    [Fact]
    public async Task Whiteout_removes_a_lower_file_and_never_appears_itself()
    {
        using var tree = await TestLayers.FlattenAsync(Lower(), new TarBuilder().Whiteout("a/b"));
        Assert.False(tree.Exists("a/b"));
        Assert.Equal("lower c", tree.Read("a/c"));
        Assert.Empty(Directory.EnumerateFileSystemEntries(tree.Root, ".wh.*", SearchOption.AllDirectories));
    }

    [Fact]
    public async Task Whiteout_removes_a_whole_lower_directory_tree()
    {
        using var tree = await TestLayers.FlattenAsync(Lower(), new TarBuilder().Whiteout("a/sub"));
        Assert.False(tree.Exists("a/sub"));
        Assert.True(tree.Exists("a/c"));
    }

    [Fact]
    public async Task Whiteout_of_a_symlink_removes_the_link_not_its_target()
    {
        using var tree = await TestLayers.FlattenAsync(Lower(), new TarBuilder().Whiteout("d/link"));
        Assert.False(tree.Exists("d/link"));
        Assert.True(File.Exists("/etc/hostname") || Directory.Exists("/etc"));
    }

    [Fact]
    public async Task Whiteout_of_a_missing_name_is_a_no_op()
    {
        using var tree = await TestLayers.FlattenAsync(Lower(), new TarBuilder().Whiteout("nowhere/x").Whiteout("a/nothing"));
        Assert.True(tree.Exists("a/b"));
        Assert.False(tree.Exists("nowhere"));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Whiteout_keeps_what_the_same_layer_writes_in_either_order(bool whiteoutFirst)
    {
        var upper = new TarBuilder();
        if (whiteoutFirst)
        {
            upper.Whiteout("a/b").File("a/b", "upper b");
        }
        else
        {
            upper.File("a/b", "upper b").Whiteout("a/b");
        }

        using var tree = await TestLayers.FlattenAsync(Lower(), upper);
        Assert.Equal("upper b", tree.Read("a/b"));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Whiteout_of_a_directory_keeps_same_layer_children_and_drops_lower_ones(bool whiteoutFirst)
    {
        var upper = new TarBuilder();
        if (whiteoutFirst)
        {
            upper.Whiteout("a/sub").File("a/sub/new", "new");
        }
        else
        {
            upper.File("a/sub/new", "new").Whiteout("a/sub");
        }

        using var tree = await TestLayers.FlattenAsync(Lower(), upper);
        Assert.Equal("new", tree.Read("a/sub/new"));
        Assert.False(tree.Exists("a/sub/deep"));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Opaque_directory_drops_lower_content_and_keeps_this_layers_in_either_order(bool markerFirst)
    {
        var upper = new TarBuilder();
        if (markerFirst)
        {
            upper.Directory("d").Opaque("d").File("d/new", "new").File("d/sub/fresh", "fresh");
        }
        else
        {
            upper.Directory("d").File("d/new", "new").File("d/sub/fresh", "fresh").Opaque("d");
        }

        using var tree = await TestLayers.FlattenAsync(Lower(), upper);
        Assert.Equal("new", tree.Read("d/new"));
        Assert.Equal("fresh", tree.Read("d/sub/fresh"));
        Assert.False(tree.Exists("d/x"));
        Assert.False(tree.Exists("d/sub/old"));
        Assert.False(tree.Exists("d/link"));
        Assert.False(tree.Exists("d/.wh..wh..opq"));
        Assert.Equal("lower b", tree.Read("a/b"));
    }

    [Fact]
    public async Task Opaque_in_a_later_layer_hides_content_of_every_lower_layer()
    {
        var middle = new TarBuilder().File("d/middle", "m");
        using var tree = await TestLayers.FlattenAsync(Lower(), middle, new TarBuilder().Opaque("d"));
        Assert.True(Directory.Exists(tree.Path("d")));
        Assert.Empty(Directory.EnumerateFileSystemEntries(tree.Path("d")));
    }

    [Fact]
    public async Task A_file_can_come_back_in_a_layer_after_its_whiteout()
    {
        using var tree = await TestLayers.FlattenAsync(Lower(), new TarBuilder().Whiteout("a/b"), new TarBuilder().File("a/b", "again"));
        Assert.Equal("again", tree.Read("a/b"));
    }

    [Fact]
    public async Task Aufs_bookkeeping_names_are_dropped()
    {
        using var tree = await TestLayers.FlattenAsync(Lower(), new TarBuilder().File(".wh..wh.plnk/123.456", "x").File("a/.wh..wh.aufs", ""));
        Assert.False(tree.Exists(".wh..wh.plnk"));
        Assert.False(tree.Exists("a/.wh..wh.aufs"));
    }

    [Theory]
    [InlineData("a/.wh..")]
    [InlineData("a/.wh.")]
    public async Task Whiteout_of_dot_names_is_refused(string name)
    {
        var ex = await TestLayers.RefusedAsync(Lower(), new TarBuilder().File(name, string.Empty));
        Assert.Equal(name, ex.EntryName);
    }
}
