using Xunit;
using CvmfsImages.TestSupport;

namespace CvmfsImages.Tests.CvmfsPublisher.Flattening;

public sealed class SmokeTests
{
    [Fact]
    public async Task Two_layers_with_files_dirs_links_and_a_whiteout()
    {
        var lower = new TarBuilder().Directory("etc").File("etc/os-release", "debian").File("etc/gone", "x").Symlink("bin", "usr/bin").Directory("usr/bin");
        var upper = new TarBuilder().Whiteout("etc/gone").File("usr/bin/tool", "#!/bin/sh\n", (UnixFileMode)0x1C0).Hardlink("usr/bin/tool2", "usr/bin/tool");
        using var tree = await TestLayers.FlattenAsync(lower, upper);
        Assert.Equal("debian", tree.Read("etc/os-release"));
        Assert.False(tree.Exists("etc/gone"));
        Assert.False(tree.Exists("etc/.wh.gone"));
        Assert.Equal("usr/bin", tree.LinkTarget("bin"));
        Assert.Equal((UnixFileMode)0x1ED, tree.Mode("usr/bin/tool"));
        Assert.Equal("#!/bin/sh\n", tree.Read("bin/tool2"));
    }
}
