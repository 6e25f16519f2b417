using CvmfsImages.Runtime;
using CvmfsImages.Runtime.Cli;
using CvmfsImages.Runtime.Inspect;
using CvmfsImages.TestSupport;
using Xunit;

namespace CvmfsImages.Tests.Runtime.Inspect;

public sealed class ImageInspectorTests : IDisposable
{
    private readonly TempDirectory _dir = new("rt-inspect");

    public void Dispose() => _dir.Dispose();

    private static string Inspect(string image, params string[] flags)
    {
        var invocation = CommandLineParser.Parse(["inspect", .. flags, image], new Dictionary<string, string>());
        using var output = new StringWriter();
        Assert.Equal(0, ImageInspector.Run(invocation, "/", output));
        return output.ToString();
    }

    [Fact]
    public void Metadata_links_are_resolved_inside_the_image_never_on_the_host()
    {
        var image = Directory.CreateDirectory(_dir.Combine("img", ".singularity.d")).Parent!.FullName;
        // An absolute link to a host file: inside the image /etc/hostname does not exist, so nothing is shown.
        File.CreateSymbolicLink(Path.Combine(image, ".singularity.d", "runscript"), "/etc/hostname");
        File.CreateSymbolicLink(Path.Combine(image, ".singularity.d", "labels.json"), "../../../../../../etc/passwd");
        Assert.Equal(string.Empty, Inspect(image, "--runscript"));
        Assert.Equal(string.Empty, Inspect(image, "--labels"));
        Directory.CreateDirectory(Path.Combine(image, "etc"));
        File.WriteAllText(Path.Combine(image, "etc", "hostname"), "#!/bin/sh\necho image\n");
        Assert.Equal("#!/bin/sh\necho image\n", Inspect(image, "--runscript"));
    }

    [Fact]
    public void Bad_labels_json_is_an_error_naming_the_file()
    {
        var image = Directory.CreateDirectory(_dir.Combine("bad", ".singularity.d")).Parent!.FullName;
        File.WriteAllText(Path.Combine(image, ".singularity.d", "labels.json"), "{not json");
        var invocation = CommandLineParser.Parse(["inspect", image], new Dictionary<string, string>());
        var e = Assert.Throws<RuntimeFailureException>(() => ImageInspector.Run(invocation, "/", TextWriter.Null));
        Assert.Contains("labels.json in the image is not valid JSON", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Json_output_has_singularity_s_shape()
    {
        var image = Directory.CreateDirectory(_dir.Combine("j", ".singularity.d")).Parent!.FullName;
        File.WriteAllText(Path.Combine(image, ".singularity.d", "labels.json"), "{\"a\":\"b\"}");
        var json = Inspect(image, "--json");
        using var doc = System.Text.Json.JsonDocument.Parse(json);
        Assert.Equal("b", doc.RootElement.GetProperty("data").GetProperty("attributes").GetProperty("labels").GetProperty("a").GetString());
        Assert.False(doc.RootElement.GetProperty("data").GetProperty("attributes").TryGetProperty("runscript", out _));
    }
}
