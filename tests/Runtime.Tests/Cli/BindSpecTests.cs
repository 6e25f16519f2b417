using CvmfsImages.Runtime;
using CvmfsImages.Runtime.Cli;
using Xunit;

namespace CvmfsImages.Tests.Runtime.Cli;

public sealed class BindSpecTests
{
    [Theory]
    [InlineData("/a", "/a", "/a", false)]
    [InlineData("/a:/b", "/a", "/b", false)]
    [InlineData("/a:/b:ro", "/a", "/b", true)]
    [InlineData("/a:/b:rw", "/a", "/b", false)]
    [InlineData("/a\\:x:/b", "/a:x", "/b", false)]
    [InlineData("/a\\,x:/b\\:c:ro", "/a,x", "/b:c", true)]
    [InlineData("rel:/b", "rel", "/b", false)]
    [InlineData("/a\\y:/b", "/a\\y", "/b", false)]
    public void One_spec(string text, string source, string destination, bool readOnly)
    {
        var spec = Assert.Single(BindSpec.ParseList(text, "--bind"));
        Assert.Equal(source, spec.Source);
        Assert.Equal(destination, spec.Destination);
        Assert.Equal(readOnly, spec.ReadOnly);
        Assert.Equal("--bind", spec.Origin);
    }

    [Fact]
    public void Comma_lists_with_escapes_and_empty_items()
    {
        var specs = BindSpec.ParseList("/a,/b:/c:ro,,/d\\,e:/f,", "SINGULARITY_BIND");
        Assert.Equal(["/a", "/b", "/d,e"], specs.Select(s => s.Source));
        Assert.Equal(["/a", "/c", "/f"], specs.Select(s => s.Destination));
        Assert.Equal([false, true, false], specs.Select(s => s.ReadOnly));
    }

    [Theory]
    [InlineData("/a:/b:rx", "unknown option 'rx'")]
    [InlineData("/a:/b:ro:x", "too many ':'")]
    [InlineData(":/b", "source path is empty")]
    [InlineData("/a:rel", "'rel' is not an absolute path")]
    public void Bad_specs_name_the_spec_and_origin(string text, string why)
    {
        var e = Assert.Throws<RuntimeFailureException>(() => BindSpec.ParseList(text, "--bind"));
        Assert.Contains(why, e.Message, StringComparison.Ordinal);
        Assert.StartsWith("--bind: invalid bind spec '" + text + "'", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Options_refused_where_not_allowed()
    {
        var e = Assert.Throws<RuntimeFailureException>(() => BindSpec.ParseList("/a:/b:ro", "--home", allowOptions: false));
        Assert.Contains("options are not allowed", e.Message, StringComparison.Ordinal);
    }
}
