using CvmfsImages.Publisher.Flattening;
using CvmfsImages.TestSupport;
using Xunit;

namespace CvmfsImages.Tests.CvmfsPublisher.Flattening;

/// <summary>Layers and flatten runs for the tests: in-memory layer bytes, a fresh temp directory per run.</summary>
internal static class TestLayers
{
    public const string OciTar = "application/vnd.oci.image.layer.v1.tar";
    public const string OciGzip = "application/vnd.oci.image.layer.v1.tar+gzip";
    public const string OciZstd = "application/vnd.oci.image.layer.v1.tar+zstd";
    public const string DockerGzip = "application/vnd.docker.image.rootfs.diff.tar.gzip";

    public static LayerInput Plain(TarBuilder tar) => FromBytes(tar.ToTar(), OciTar);

    public static LayerInput Gzip(TarBuilder tar) => FromBytes(tar.ToGzip(), OciGzip);

    public static LayerInput FromBytes(byte[] bytes, string mediaType, string? digest = null) =>
        new(mediaType, digest ?? TarBuilder.Digest(bytes), _ => Task.FromResult<Stream>(new MemoryStream(bytes, writable: false)));

    /// <summary>A flatten into a fresh <c>root</c> directory under a temp directory the caller disposes.</summary>
    public static async Task<Flattened> FlattenAsync(
        IEnumerable<LayerInput> layers,
        ImageConfig? config = null,
        FlattenOptions? options = null)
    {
        var temp = new TempDirectory("flatten");
        try
        {
            var root = temp.Combine("root");
            var result = await new ImageFlattener().FlattenAsync(
                layers.ToList(), config ?? ImageConfig.Empty, root, options, TestContext.Current.CancellationToken);
            return new Flattened(temp, root, result);
        }
        catch
        {
            temp.Dispose();
            throw;
        }
    }

    public static Task<Flattened> FlattenAsync(params TarBuilder[] layers) => FlattenAsync(layers.Select(Plain));

    /// <summary>Flattens and expects a failure; asserts the target was removed and returns the exception.</summary>
    public static async Task<TException> FailsAsync<TException>(IEnumerable<LayerInput> layers, ImageConfig? config = null, FlattenOptions? options = null)
        where TException : Exception
    {
        using var temp = new TempDirectory("flatten");
        var root = temp.Combine("root");
        var ex = await Assert.ThrowsAnyAsync<TException>(() =>
            new ImageFlattener().FlattenAsync(layers.ToList(), config ?? ImageConfig.Empty, root, options, TestContext.Current.CancellationToken));
        Assert.False(Path.Exists(root), $"the partial tree {root} must be removed after: {ex.Message}");
        Assert.Empty(Directory.EnumerateFileSystemEntries(temp.Path));
        return ex;
    }

    public static Task<LayerException> RefusedAsync(params TarBuilder[] layers) => FailsAsync<LayerException>(layers.Select(Plain));
}

/// <summary>A flattened tree in a temp directory.</summary>
internal sealed record Flattened(TempDirectory Temp, string Root, FlattenResult Result) : IDisposable
{
    public string Path(string relative) => System.IO.Path.Combine(Root, relative);

    public string Read(string relative) => File.ReadAllText(Path(relative));

    public bool Exists(string relative) => System.IO.Path.Exists(Path(relative)) || new FileInfo(Path(relative)).LinkTarget is not null;

    public UnixFileMode Mode(string relative) => File.GetUnixFileMode(Path(relative));

    public string? LinkTarget(string relative) => new FileInfo(Path(relative)).LinkTarget;

    public void Dispose() => Temp.Dispose();
}
