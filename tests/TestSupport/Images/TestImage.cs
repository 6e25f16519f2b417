using System.Diagnostics;
using System.Formats.Tar;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using CvmfsImages.Registry;
using CvmfsImages.Registry.Names;

namespace CvmfsImages.TestSupport.Images;

/// <summary>
/// Builds real container images in memory (PAX tar layers, gzip/zstd/none; a config with <c>rootfs.diff_ids</c>; OCI or
/// Docker media types; optionally a multi-platform index) and pushes them with a <see cref="RegistryClient"/>.
/// <example><code>
/// var image = await TestImage.Create()
///     .WithLayer(TestFile.Text("etc/hello", "hi\n"), TestFile.Dir("tmp"))
///     .WithLayer(LayerCompression.Zstd, TestFile.Symlink("bin/sh", "busybox"))
///     .WithEntrypoint("/bin/sh")
///     .PushAsync(client, $"{registry.Host}/ns/name:tag", ct);
/// // image.Digest: what the tag names; image.Manifest.Layers[i].Descriptor / .Tar / .DiffId; image.ConfigDigest
/// </code></example>
/// Multi-platform (<see cref="WithPlatforms"/>): every platform gets the same layers plus a last layer holding
/// <c>etc/test-image-platform</c> with the platform's text (<c>linux/arm64/v8</c>), so tests can tell them apart.
/// Builds are deterministic: the same calls give the same digests.
/// </summary>
public sealed class TestImage
{
    private readonly List<(Func<byte[]> Tar, LayerCompression Compression)> _layers = [];
    private readonly List<Action<JsonObject>> _configEdits = [];
    private List<Platform> _platforms = [Platform.LinuxAmd64];
    private bool _docker;
    private bool _forceIndex;

    private TestImage()
    {
    }

    /// <summary>A new empty image: OCI media types, linux/amd64, no layers.</summary>
    public static TestImage Create() => new();

    /// <summary>Adds a gzip layer with these entries, in this order.</summary>
    public TestImage WithLayer(params TestFile[] files) => WithLayer(LayerCompression.Gzip, files);

    /// <summary>Adds a layer with these entries, compressed as given.</summary>
    public TestImage WithLayer(LayerCompression compression, params TestFile[] files)
    {
        ArgumentNullException.ThrowIfNull(files);
        var copy = files.ToArray();
        _layers.Add((() => Tar(copy), compression));
        return this;
    }

    /// <summary>Adds a layer from a tar the test built itself (e.g. a hostile one), compressed as given.</summary>
    public TestImage WithRawLayer(ReadOnlyMemory<byte> tar, LayerCompression compression = LayerCompression.Gzip)
    {
        var copy = tar.ToArray();
        _layers.Add((() => copy, compression));
        return this;
    }

    /// <summary>
    /// Adds an uncompressed layer holding one file <paramref name="path"/> of <paramref name="size"/> pseudo-random
    /// (incompressible) bytes from <paramref name="seed"/>: big images for benchmarks without big fixtures.
    /// </summary>
    public TestImage WithRandomLayer(string path, long size, int seed = 1, LayerCompression compression = LayerCompression.None)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(size);
        _layers.Add((() =>
        {
            var content = new byte[size];
            new Random(seed).NextBytes(content);
            return Tar([TestFile.Bytes(path, content)]);
        }, compression));
        return this;
    }

    /// <summary>Docker v2 schema 2 media types (manifest, manifest list, config, layers) instead of OCI ones.</summary>
    public TestImage WithDockerMediaTypes()
    {
        _docker = true;
        return this;
    }

    /// <summary>The image's single platform (default linux/amd64).</summary>
    public TestImage WithPlatform(Platform platform)
    {
        ArgumentNullException.ThrowIfNull(platform);
        _platforms = [platform];
        return this;
    }

    /// <summary>Several platforms: the image becomes an index (OCI) or manifest list (Docker) of one manifest each.</summary>
    public TestImage WithPlatforms(params Platform[] platforms)
    {
        ArgumentNullException.ThrowIfNull(platforms);
        if (platforms.Length == 0)
        {
            throw new ArgumentException("at least one platform", nameof(platforms));
        }

        _platforms = [.. platforms];
        _forceIndex = true;
        return this;
    }

    /// <summary>Wraps even a single platform's manifest in an index.</summary>
    public TestImage AsIndex()
    {
        _forceIndex = true;
        return this;
    }

    /// <summary>Adds <c>KEY=value</c> to the config's <c>Env</c>.</summary>
    public TestImage WithEnv(string keyValue) => EditConfig(c => Array(c, "Env").Add(keyValue));

    /// <summary>The config's <c>Entrypoint</c>.</summary>
    public TestImage WithEntrypoint(params string[] args) => EditConfig(c => c["Entrypoint"] = new JsonArray([.. args.Select(a => (JsonNode)a)]));

    /// <summary>The config's <c>Cmd</c>.</summary>
    public TestImage WithCmd(params string[] args) => EditConfig(c => c["Cmd"] = new JsonArray([.. args.Select(a => (JsonNode)a)]));

    /// <summary>The config's <c>WorkingDir</c>.</summary>
    public TestImage WithWorkingDir(string dir) => EditConfig(c => c["WorkingDir"] = dir);

    /// <summary>The config's <c>User</c>.</summary>
    public TestImage WithUser(string user) => EditConfig(c => c["User"] = user);

    /// <summary>A config label.</summary>
    public TestImage WithLabel(string key, string value) => EditConfig(c => Object(c, "Labels")[key] = value);

    /// <summary>Any other change to the config's <c>config</c> object (the runtime settings).</summary>
    public TestImage EditConfig(Action<JsonObject> edit)
    {
        ArgumentNullException.ThrowIfNull(edit);
        _configEdits.Add(edit);
        return this;
    }

    /// <summary>Builds the image in memory.</summary>
    public BuiltImage Build()
    {
        var tars = _layers.Select(l => (Tar: l.Tar(), l.Compression)).ToList();
        var common = tars.Select(t => Layer(t.Tar, t.Compression)).ToList();
        var manifests = new List<BuiltManifest>();
        foreach (var platform in _platforms)
        {
            var layers = common.ToList();
            if (_platforms.Count > 1)
            {
                layers.Add(Layer(Tar([TestFile.Text("etc/test-image-platform", platform.ToString())]), LayerCompression.Gzip));
            }

            manifests.Add(BuildManifest(platform, layers));
        }

        if (manifests.Count == 1 && !_forceIndex)
        {
            var only = manifests[0];
            return new BuiltImage(only.Digest, only.MediaType, only.Content, manifests);
        }

        var index = new JsonObject
        {
            ["schemaVersion"] = 2,
            ["mediaType"] = _docker ? MediaTypes.DockerManifestList : MediaTypes.OciIndex,
            ["manifests"] = new JsonArray([.. manifests.Select(m => (JsonNode)new JsonObject
            {
                ["mediaType"] = m.MediaType,
                ["digest"] = m.Digest.ToString(),
                ["size"] = m.Content.Length,
                ["platform"] = PlatformJson(m.Platform),
            })]),
        };
        var bytes = Serialize(index);
        return new BuiltImage(Digest.Sha256(bytes), _docker ? MediaTypes.DockerManifestList : MediaTypes.OciIndex, bytes, manifests);
    }

    /// <summary>
    /// Builds the image and pushes it with <paramref name="client"/> to <paramref name="reference"/>
    /// (<c>127.0.0.1:PORT/ns/name:tag</c>): blobs, the platform manifests (by digest when under an index) and the
    /// top-level document under the reference's tag.
    /// </summary>
    public Task<BuiltImage> PushAsync(RegistryClient client, string reference, CancellationToken cancellationToken = default) =>
        PushAsync(client, ImageReference.Parse(reference), cancellationToken);

    /// <inheritdoc cref="PushAsync(RegistryClient, string, CancellationToken)"/>
    public async Task<BuiltImage> PushAsync(RegistryClient client, ImageReference reference, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(reference);
        var image = Build();
        await PushBuiltAsync(client, reference, image, cancellationToken);
        return image;
    }

    /// <summary>Pushes an already built image (e.g. the same image under a second name).</summary>
    public static async Task PushBuiltAsync(RegistryClient client, ImageReference reference, BuiltImage image, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(reference);
        ArgumentNullException.ThrowIfNull(image);
        var repository = reference.Repository;
        foreach (var manifest in image.Manifests)
        {
            foreach (var layer in manifest.Layers)
            {
                using var blob = new MemoryStream(layer.Blob.ToArray(), writable: false);
                await client.PushBlobAsync(repository, blob, layer.Descriptor.Digest, layer.Descriptor.Size, cancellationToken);
            }

            using var config = new MemoryStream(manifest.ConfigBytes.ToArray(), writable: false);
            await client.PushBlobAsync(repository, config, manifest.Config.Digest, manifest.Config.Size, cancellationToken);
            if (image.IsIndex)
            {
                await client.PushManifestAsync(reference.WithDigest(manifest.Digest), manifest.Content, manifest.MediaType, cancellationToken);
            }
        }

        await client.PushManifestAsync(reference, image.Content, image.MediaType, cancellationToken);
    }

    /// <summary>An uncompressed PAX tar of the entries, in order.</summary>
    public static byte[] Tar(IEnumerable<TestFile> files)
    {
        ArgumentNullException.ThrowIfNull(files);
        using var output = new MemoryStream();
        using (var writer = new TarWriter(output, TarEntryFormat.Pax, leaveOpen: true))
        {
            foreach (var file in files)
            {
                var type = file.Kind switch
                {
                    TestFileKind.File => TarEntryType.RegularFile,
                    TestFileKind.Directory => TarEntryType.Directory,
                    TestFileKind.Symlink => TarEntryType.SymbolicLink,
                    TestFileKind.Hardlink => TarEntryType.HardLink,
                    _ => throw new ArgumentOutOfRangeException(nameof(files), file.Kind, "unknown entry kind"),
                };
                var entry = new PaxTarEntry(type, file.Path)
                {
                    Mode = file.Mode,
                    Uid = file.Uid,
                    Gid = file.Gid,
                    ModificationTime = file.ModificationTime,
                };
                if (file.LinkTarget is not null)
                {
                    entry.LinkName = file.LinkTarget;
                }

                if (type == TarEntryType.RegularFile)
                {
                    entry.DataStream = new MemoryStream(file.Content.ToArray(), writable: false);
                }

                writer.WriteEntry(entry);
            }
        }

        return output.ToArray();
    }

    /// <summary>Compresses a tar as a layer blob would be.</summary>
    public static byte[] Compress(ReadOnlySpan<byte> tar, LayerCompression compression)
    {
        switch (compression)
        {
            case LayerCompression.None:
                return tar.ToArray();
            case LayerCompression.Gzip:
                using (var output = new MemoryStream())
                {
                    using (var gzip = new GZipStream(output, CompressionLevel.Fastest, leaveOpen: true))
                    {
                        gzip.Write(tar);
                    }

                    return output.ToArray();
                }

            case LayerCompression.Zstd:
                return Zstd(tar.ToArray());
            default:
                throw new ArgumentOutOfRangeException(nameof(compression), compression, "unknown compression");
        }
    }

    private BuiltLayer Layer(byte[] tar, LayerCompression compression)
    {
        var blob = Compress(tar, compression);
        var mediaType = (compression, _docker) switch
        {
            (LayerCompression.Gzip, false) => MediaTypes.OciLayerGzip,
            (LayerCompression.Zstd, false) => MediaTypes.OciLayerZstd,
            (LayerCompression.None, false) => MediaTypes.OciLayer,
            (LayerCompression.Gzip, true) => MediaTypes.DockerLayerGzip,
            (LayerCompression.Zstd, true) => MediaTypes.DockerLayerZstd,
            _ => MediaTypes.DockerLayer,
        };
        return new BuiltLayer(new Descriptor(mediaType, Digest.Sha256(blob), blob.Length), blob, tar, Digest.Sha256(tar));
    }

    private BuiltManifest BuildManifest(Platform platform, List<BuiltLayer> layers)
    {
        var runtime = new JsonObject();
        foreach (var edit in _configEdits)
        {
            edit(runtime);
        }

        var config = new JsonObject
        {
            ["created"] = "2024-01-01T00:00:00Z",
            ["architecture"] = platform.Architecture,
            ["os"] = platform.Os,
        };
        if (platform.Variant is not null)
        {
            config["variant"] = platform.Variant;
        }

        config["config"] = runtime;
        config["rootfs"] = new JsonObject
        {
            ["type"] = "layers",
            ["diff_ids"] = new JsonArray([.. layers.Select(l => (JsonNode)l.DiffId.ToString())]),
        };
        config["history"] = new JsonArray([.. layers.Select(_ => (JsonNode)new JsonObject { ["created_by"] = "TestImage" })]);
        var configBytes = Serialize(config);
        var configDescriptor = new Descriptor(_docker ? MediaTypes.DockerConfig : MediaTypes.OciConfig, Digest.Sha256(configBytes), configBytes.Length);

        var mediaType = _docker ? MediaTypes.DockerManifest : MediaTypes.OciManifest;
        var manifest = new JsonObject
        {
            ["schemaVersion"] = 2,
            ["mediaType"] = mediaType,
            ["config"] = DescriptorJson(configDescriptor),
            ["layers"] = new JsonArray([.. layers.Select(l => (JsonNode)DescriptorJson(l.Descriptor))]),
        };
        var bytes = Serialize(manifest);
        return new BuiltManifest(platform, Digest.Sha256(bytes), mediaType, bytes, configDescriptor, configBytes, layers);
    }

    private static JsonObject DescriptorJson(Descriptor d) => new()
    {
        ["mediaType"] = d.MediaType,
        ["digest"] = d.Digest.ToString(),
        ["size"] = d.Size,
    };

    private static JsonObject PlatformJson(Platform p)
    {
        var json = new JsonObject { ["architecture"] = p.Architecture, ["os"] = p.Os };
        if (p.Variant is not null)
        {
            json["variant"] = p.Variant;
        }

        return json;
    }

    private static byte[] Serialize(JsonNode node) => JsonSerializer.SerializeToUtf8Bytes(node);

    private static JsonArray Array(JsonObject o, string key) => (JsonArray)(o[key] ??= new JsonArray());

    private static JsonObject Object(JsonObject o, string key) => (JsonObject)(o[key] ??= new JsonObject());

    private static byte[] Zstd(byte[] input)
    {
        var zstd = RequiredTool.Require("zstd", "zstd");
        var psi = new ProcessStartInfo(zstd, ["-q", "-c", "-3"])
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        using var process = Process.Start(psi) ?? throw new InvalidOperationException("zstd did not start");
        var stdout = new MemoryStream();
        var copy = process.StandardOutput.BaseStream.CopyToAsync(stdout);
        var stderr = process.StandardError.ReadToEndAsync();
        process.StandardInput.BaseStream.Write(input);
        process.StandardInput.Close();
        copy.GetAwaiter().GetResult();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"zstd failed with exit code {process.ExitCode}: {stderr.GetAwaiter().GetResult()}");
        }

        return stdout.ToArray();
    }
}
