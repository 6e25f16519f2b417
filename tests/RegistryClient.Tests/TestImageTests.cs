using System.Diagnostics;
using System.Formats.Tar;
using System.IO.Compression;
using System.Text.Json;
using CvmfsImages.Registry;
using CvmfsImages.Registry.Names;
using CvmfsImages.TestSupport;
using CvmfsImages.TestSupport.Images;
using Xunit;

namespace CvmfsImages.Tests.RegistryClient;

/// <summary>The test image builder makes real images: third-party tools (skopeo) read what it pushes.</summary>
public sealed class TestImageTests : IClassFixture<RegistryFixture>
{
    private readonly RegistryFixture _fixture;

    public TestImageTests(RegistryFixture fixture)
    {
        _fixture = fixture;
    }

    [Fact]
    public void Layers_decompress_to_their_tars_whose_sha256_are_the_configs_diff_ids()
    {
        var image = TestImage.Create()
            .WithLayer(LayerCompression.Gzip, TestFile.Dir("etc"), TestFile.Text("etc/a", "a"))
            .WithLayer(LayerCompression.Zstd, TestFile.Text("b", "b", (UnixFileMode)0b111_101_101), TestFile.Hardlink("c", "b"))
            .WithLayer(LayerCompression.None, TestFile.OpaqueWhiteout("etc"), TestFile.Whiteout("b"))
            .WithEnv("A=1")
            .Build();

        var config = JsonDocument.Parse(image.Manifest.ConfigBytes).RootElement;
        var diffIds = config.GetProperty("rootfs").GetProperty("diff_ids").EnumerateArray().Select(e => e.GetString()).ToList();
        Assert.Equal(image.Manifest.Layers.Select(l => l.DiffId.ToString()), diffIds);
        Assert.Equal("A=1", config.GetProperty("config").GetProperty("Env")[0].GetString());
        Assert.Equal(
            [MediaTypes.OciLayerGzip, MediaTypes.OciLayerZstd, MediaTypes.OciLayer],
            image.Manifest.Layers.Select(l => l.Descriptor.MediaType));
        foreach (var layer in image.Manifest.Layers)
        {
            var tar = Decompress(layer);
            Assert.Equal(layer.Tar.ToArray(), tar);
            Assert.Equal(layer.DiffId, Digest.Sha256(tar));
            Assert.Equal(layer.Descriptor.Digest, Digest.Sha256(layer.Blob.Span));
        }

        var names = Entries(image.Manifest.Layers[2].Tar.ToArray()).Select(e => e.Name).ToList();
        Assert.Equal(["etc/.wh..wh..opq", ".wh.b"], names);
        var second = Entries(image.Manifest.Layers[1].Tar.ToArray());
        Assert.Equal(TarEntryType.HardLink, second[1].EntryType);
        Assert.Equal("b", second[1].LinkName);
        Assert.Equal(image.Digest, TestImage.Create()
            .WithLayer(LayerCompression.Gzip, TestFile.Dir("etc"), TestFile.Text("etc/a", "a"))
            .WithLayer(LayerCompression.Zstd, TestFile.Text("b", "b", (UnixFileMode)0b111_101_101), TestFile.Hardlink("c", "b"))
            .WithLayer(LayerCompression.None, TestFile.OpaqueWhiteout("etc"), TestFile.Whiteout("b"))
            .WithEnv("A=1")
            .Build().Digest);
    }

    [Fact]
    public async Task Skopeo_copies_a_pushed_multi_platform_image_and_the_client_reads_skopeos_copy_back()
    {
        var ct = TestContext.Current.CancellationToken;
        var skopeo = RequiredTool.Require("skopeo", "skopeo");
        var registry = _fixture.Registry;
        using var client = Clients.Create();
        var source = ImageReference.Parse($"{registry.Host}/interop/source:1");
        var image = await TestImage.Create()
            .WithLayer(LayerCompression.Zstd, TestFile.Text("hello", "world"))
            .WithPlatforms(Platform.LinuxAmd64, Platform.Parse("linux/arm64/v8"))
            .PushAsync(client, source, ct);
        using var work = new TempDirectory("skopeo");
        var policy = work.Combine("policy.json");
        await File.WriteAllTextAsync(policy, """{"default":[{"type":"insecureAcceptAnything"}]}""", ct);

        // skopeo verifies every digest it copies; --all keeps the index and both platforms byte for byte.
        var copy = ImageReference.Parse($"{registry.Host}/interop/copy:1");
        await RunAsync(skopeo, ct, "--policy", policy, "copy", "--all", "--src-tls-verify=false", "--dest-tls-verify=false",
            $"docker://{source}", $"docker://{copy}");

        Assert.Equal(image.Digest, await client.ResolveDigestAsync(copy, ct));
        var arm = await client.ResolveImageAsync(copy, Platform.Parse("linux/arm64"), ct);
        Assert.Equal(image.Manifests[1].Digest, arm.ManifestDigest);
        foreach (var layer in arm.Layers)
        {
            await RoundTripTests.ReadAllAsync(client, copy.Repository, layer, ct);
        }
    }

    private static byte[] Decompress(BuiltLayer layer)
    {
        var blob = layer.Blob.ToArray();
        switch (layer.Descriptor.MediaType)
        {
            case MediaTypes.OciLayerGzip:
                using (var gzip = new GZipStream(new MemoryStream(blob), CompressionMode.Decompress))
                using (var output = new MemoryStream())
                {
                    gzip.CopyTo(output);
                    return output.ToArray();
                }

            case MediaTypes.OciLayerZstd:
                var psi = new ProcessStartInfo(RequiredTool.Require("zstd", "zstd"), ["-d", "-q", "-c"])
                {
                    RedirectStandardInput = true,
                    RedirectStandardOutput = true,
                    UseShellExecute = false,
                };
                using (var process = Process.Start(psi)!)
                using (var output = new MemoryStream())
                {
                    var reader = process.StandardOutput.BaseStream.CopyToAsync(output);
                    process.StandardInput.BaseStream.Write(blob);
                    process.StandardInput.Close();
                    reader.GetAwaiter().GetResult();
                    process.WaitForExit();
                    Assert.Equal(0, process.ExitCode);
                    return output.ToArray();
                }

            default:
                return blob;
        }
    }

    private static List<TarEntry> Entries(byte[] tar)
    {
        using var reader = new TarReader(new MemoryStream(tar));
        var entries = new List<TarEntry>();
        while (reader.GetNextEntry() is { } entry)
        {
            entries.Add(entry);
        }

        return entries;
    }

    private static async Task RunAsync(string file, CancellationToken ct, params string[] args)
    {
        var psi = new ProcessStartInfo(file, args) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        using var process = Process.Start(psi)!;
        var stdout = process.StandardOutput.ReadToEndAsync(ct);
        var stderr = process.StandardError.ReadToEndAsync(ct);
        await process.WaitForExitAsync(ct);
        Assert.True(process.ExitCode == 0, $"{file} {string.Join(' ', args)} exited with {process.ExitCode}: {await stderr}{await stdout}");
    }
}
