using System.Formats.Tar;
using CvmfsImages.Publisher.Flattening;
using CvmfsImages.TestSupport;
using Microsoft.Extensions.Logging;
using Xunit;

namespace CvmfsImages.Tests.CvmfsPublisher.Flattening;

/// <summary>Entry types: files (long names, sparse), directories, symlinks, hardlinks, replacements, specials, xattrs.</summary>
public sealed class EntryTests
{
    [Fact]
    public async Task Symlinks_are_written_as_they_are_even_dangling_or_absolute()
    {
        using var tree = await TestLayers.FlattenAsync(new TarBuilder()
            .Symlink("abs", "/etc/shadow").Symlink("rel", "../../../../x").Symlink("dangling", "nowhere/at/all"));
        Assert.Equal("/etc/shadow", tree.LinkTarget("abs"));
        Assert.Equal("../../../../x", tree.LinkTarget("rel"));
        Assert.Equal("nowhere/at/all", tree.LinkTarget("dangling"));
        Assert.Equal(3 + 6, tree.Result.Symlinks); // plus /singularity, /environment, /.exec, /.run, /.shell, /.test
    }

    [Fact]
    public async Task Hardlinks_to_the_same_and_an_earlier_layer_share_the_inode()
    {
        var lower = new TarBuilder().File("lib/a.so", "A").Hardlink("lib/a2.so", "lib/a.so");
        var upper = new TarBuilder().Hardlink("usr/a3.so", "/lib/a.so");
        using var tree = await TestLayers.FlattenAsync(lower, upper);
        Assert.Equal("A", tree.Read("usr/a3.so"));

        // One inode: a change through one name shows through the others.
        File.AppendAllText(tree.Path("lib/a.so"), "+");
        Assert.Equal("A+", tree.Read("lib/a2.so"));
        Assert.Equal("A+", tree.Read("usr/a3.so"));
        Assert.Equal(2, tree.Result.Hardlinks);
    }

    [Fact]
    public async Task Hardlink_to_a_missing_target_names_both_paths()
    {
        var ex = await TestLayers.RefusedAsync(new TarBuilder().File("x", "x").Hardlink("bin/link", "bin/missing"));
        Assert.Contains("bin/link", ex.Message, StringComparison.Ordinal);
        Assert.Contains("bin/missing", ex.Message, StringComparison.Ordinal);
        Assert.Equal("bin/link", ex.EntryName);
    }

    [Fact]
    public async Task Hardlink_to_a_file_that_comes_later_in_the_same_layer_is_refused()
    {
        var ex = await TestLayers.RefusedAsync(new TarBuilder().Hardlink("early", "late").File("late", "x"));
        Assert.Equal("early", ex.EntryName);
    }

    [Fact]
    public async Task Hardlink_to_a_directory_is_refused()
    {
        var ex = await TestLayers.RefusedAsync(new TarBuilder().Directory("dir").Hardlink("link", "dir"));
        Assert.Contains("directory", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_later_layer_replaces_a_file_by_a_directory_and_a_directory_by_a_file()
    {
        var lower = new TarBuilder().File("was-file", "f").Directory("was-dir").File("was-dir/inner", "i").Symlink("was-link", "target");
        var upper = new TarBuilder().Directory("was-file").File("was-file/now", "n").File("was-dir", "now a file").Directory("was-link");
        using var tree = await TestLayers.FlattenAsync(lower, upper);
        Assert.Equal("n", tree.Read("was-file/now"));
        Assert.Equal("now a file", tree.Read("was-dir"));
        Assert.True(Directory.Exists(tree.Path("was-link")));
        Assert.Null(tree.LinkTarget("was-link"));
    }

    [Fact]
    public async Task A_later_entry_replaces_a_symlink_instead_of_writing_through_it()
    {
        using var outside = new TempDirectory("outside");
        var lower = new TarBuilder().Symlink("f", outside.Combine("victim"));
        var upper = new TarBuilder().File("f", "replaced");
        using var tree = await TestLayers.FlattenAsync(lower, upper);
        Assert.Equal("replaced", tree.Read("f"));
        Assert.False(File.Exists(outside.Combine("victim")));
    }

    [Fact]
    public async Task Long_names_and_long_link_targets_survive_in_pax_and_gnu_formats()
    {
        var longDir = string.Join('/', Enumerable.Repeat("directory-name-of-forty-characters-long", 6));
        var longTarget = "/" + longDir + "/target";
        foreach (var format in new[] { TarEntryFormat.Pax, TarEntryFormat.Gnu })
        {
            using var tree = await TestLayers.FlattenAsync(new TarBuilder(format).File(longDir + "/file", "deep").Symlink("link", longTarget));
            Assert.Equal("deep", tree.Read(longDir + "/file"));
            Assert.Equal(longTarget, tree.LinkTarget("link"));
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Sparse_files_are_expanded_with_holes(bool format10)
    {
        var a = "begin"u8.ToArray();
        var b = "middle"u8.ToArray();
        (long, byte[])[] segments = [(0, a), (70_000, b)];
        var tar = format10 ? new TarBuilder().SparseFile10("data/sparse", 200_000, segments) : new TarBuilder().SparseFile01("data/sparse", 200_000, segments);
        using var tree = await TestLayers.FlattenAsync(tar.File("data/after", "next entry"));
        var bytes = File.ReadAllBytes(tree.Path("data/sparse"));
        Assert.Equal(200_000, bytes.Length);
        Assert.Equal(a, bytes[..5]);
        Assert.Equal(b, bytes[70_000..70_006]);
        Assert.Equal(a.Length + b.Length, bytes.Count(x => x != 0));
        Assert.Equal("next entry", tree.Read("data/after"));
        Assert.False(tree.Exists("data/GNUSparseFile.0"));
    }

    [Fact]
    public async Task Sparse_map_past_the_real_size_is_refused()
    {
        var tar = new TarBuilder().SparseFile10("s", 10, [(0, "0123456789ABC"u8.ToArray())], declaredRealSize: 10);
        var ex = await TestLayers.RefusedAsync(tar);
        Assert.Contains("sparse", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Devices_and_fifos_are_not_created_but_counted_and_xattrs_are_counted()
    {
        var tar = new TarBuilder().Directory("dev").CharacterDevice("dev/null").BlockDevice("dev/sda").Fifo("run/fifo")
            .FileWithXattrs("bin/ping", "ping", ("security.capability", "x"), ("user.note", "y"));
        using var tree = await TestLayers.FlattenAsync(tar);
        Assert.False(tree.Exists("dev/null"));
        Assert.False(tree.Exists("dev/sda"));
        Assert.False(tree.Exists("run/fifo"));
        Assert.Equal(3, tree.Result.SkippedSpecialFiles);
        Assert.Equal(2, tree.Result.SkippedXattrs);
        Assert.Equal("ping", tree.Read("bin/ping"));
    }

    [Fact]
    public async Task Skipped_specials_and_xattrs_are_reported_once_per_image_with_their_totals()
    {
        var lower = new TarBuilder().CharacterDevice("dev/null").Fifo("run/fifo").FileWithXattrs("bin/ping", "p", ("security.capability", "x"));
        var upper = new TarBuilder().BlockDevice("dev/sda").FileWithXattrs("bin/su", "s", ("user.a", "1"), ("user.b", "2"));
        var logger = new ListLogger<ImageFlattener>();
        using var temp = new TempDirectory("flatten");
        var result = await new ImageFlattener(logger).FlattenAsync(
            [TestLayers.Plain(lower), TestLayers.Plain(upper)], ImageConfig.Empty, temp.Combine("root"), null, TestContext.Current.CancellationToken);
        Assert.Equal(3, result.SkippedSpecialFiles);
        Assert.Equal(3, result.SkippedXattrs);
        var specials = Assert.Single(logger.Events, e => e.Id == 4102);
        Assert.Equal(LogLevel.Warning, specials.Level);
        Assert.Contains("3 device", specials.Message, StringComparison.Ordinal);
        var xattrs = Assert.Single(logger.Events, e => e.Id == 4103);
        Assert.Contains("3 extended attributes", xattrs.Message, StringComparison.Ordinal);
        Assert.Single(logger.Events, e => e.Id == 4104);
    }

    [Fact]
    public async Task Nothing_skipped_means_nothing_reported()
    {
        var logger = new ListLogger<ImageFlattener>();
        using var temp = new TempDirectory("flatten");
        await new ImageFlattener(logger).FlattenAsync(
            [TestLayers.Plain(new TarBuilder().File("f", "f"))], ImageConfig.Empty, temp.Combine("root"), null, TestContext.Current.CancellationToken);
        Assert.DoesNotContain(logger.Events, e => e.Id is 4102 or 4103);
    }

    [Fact]
    public async Task A_device_in_a_later_layer_removes_what_was_at_its_name()
    {
        using var tree = await TestLayers.FlattenAsync(new TarBuilder().File("x", "file"), new TarBuilder().Fifo("x"));
        Assert.False(tree.Exists("x"));
    }

    [Fact]
    public async Task A_later_file_overwrites_an_earlier_one_and_counts_are_reported()
    {
        using var tree = await TestLayers.FlattenAsync(new TarBuilder().File("f", "one"), new TarBuilder().File("f", "two!"));
        Assert.Equal("two!", tree.Read("f"));
        Assert.True(tree.Result.Files >= 2);
        Assert.True(tree.Result.Bytes >= 7);
        Assert.Equal(tree.Result.Files + tree.Result.Directories + tree.Result.Symlinks + tree.Result.Hardlinks, tree.Result.Entries);
    }
}
