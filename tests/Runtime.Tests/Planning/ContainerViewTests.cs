using CvmfsImages.Runtime;
using CvmfsImages.Runtime.Native;
using CvmfsImages.Runtime.Planning;
using CvmfsImages.TestSupport;
using Xunit;

namespace CvmfsImages.Tests.Runtime.Planning;

/// <summary>Destinations resolve inside the image: links are followed within it and never lead to the host.</summary>
public sealed class ContainerViewTests : IDisposable
{
    private readonly TempDirectory _dir = new("rt-view");
    private readonly string _image;

    public ContainerViewTests()
    {
        _image = Directory.CreateDirectory(_dir.Combine("img")).FullName;
        foreach (var d in new[] { "etc", "usr/share", "var", "a/b/c" })
        {
            Directory.CreateDirectory(Path.Combine(_image, d));
        }

        File.WriteAllText(Path.Combine(_image, "etc/file"), "x");
        File.CreateSymbolicLink(Path.Combine(_image, "var/etc"), "/etc");
        File.CreateSymbolicLink(Path.Combine(_image, "a/b/c/x"), "../../../../..");
        File.CreateSymbolicLink(Path.Combine(_image, "abs"), "/usr/share");
        File.CreateSymbolicLink(Path.Combine(_image, "hostroot"), "/root");
        File.CreateSymbolicLink(Path.Combine(_image, "loop1"), "loop2");
        File.CreateSymbolicLink(Path.Combine(_image, "loop2"), "loop1");
    }

    public void Dispose() => _dir.Dispose();

    [Theory]
    [InlineData("/var/etc/foo", "/etc", "foo")]
    [InlineData("/var/etc", "/etc", "")]
    [InlineData("/a/b/c/x/data", "/", "data")]
    [InlineData("/a/b/c/x/etc", "/etc", "")]
    [InlineData("/abs", "/usr/share", "")]
    [InlineData("/abs/new/deeper", "/usr/share", "new/deeper")]
    [InlineData("/hostroot/secret", "/", "root/secret")]
    [InlineData("/../../etc/./file", "/etc/file", "")]
    public void Links_resolve_inside_the_image(string path, string existing, string missing)
    {
        var r = new ContainerView(_image).Resolve(path);
        Assert.Equal(existing, r.Existing);
        Assert.Equal(missing, string.Join('/', r.Missing));
    }

    [Fact]
    public void Errors_for_loops_and_files_as_directories()
    {
        var view = new ContainerView(_image);
        Assert.Contains("too many levels of symbolic links", Assert.Throws<RuntimeFailureException>(() => view.Resolve("/loop1/x")).Message, StringComparison.Ordinal);
        Assert.Contains("/etc/file is not a directory", Assert.Throws<RuntimeFailureException>(() => view.Resolve("/etc/file/x")).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Planned_mounts_change_the_view()
    {
        var host = Directory.CreateDirectory(_dir.Combine("hostdir")).FullName;
        Directory.CreateDirectory(Path.Combine(host, "sub"));
        var view = new ContainerView(_image);
        view.AddMount(new PlannedMount(MountKind.Bind, "/a/b", host, false));
        view.AddCreated("/scratch", FileKind.Directory);
        view.AddMount(new PlannedMount(MountKind.Tmpfs, "/scratch", null, false));
        Assert.Equal(FileKind.Directory, view.Resolve("/a/b/sub").Kind);
        Assert.Equal(ViewOrigin.Host, view.Lookup("/a/b/sub").Origin);
        Assert.Equal(ViewOrigin.Session, view.Lookup("/scratch").Origin);
        Assert.Equal(["x"], view.Resolve("/scratch/x").Missing);
        Assert.Equal(ViewOrigin.Image, view.Lookup("/etc").Origin);
    }
}
