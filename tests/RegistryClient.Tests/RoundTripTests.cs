using System.Net;
using CvmfsImages.Registry;
using CvmfsImages.Registry.Names;
using CvmfsImages.TestSupport;
using CvmfsImages.TestSupport.Images;
using Xunit;

namespace CvmfsImages.Tests.RegistryClient;

/// <summary>Images built by <see cref="TestImage"/>, pushed to the real registry with the client and pulled back.</summary>
public sealed class RoundTripTests : IClassFixture<RegistryFixture>
{
    private readonly RegistryFixture _fixture;

    public RoundTripTests(RegistryFixture fixture)
    {
        _fixture = fixture;
    }

    public static TheoryData<LayerCompression, bool> Variants => new()
    {
        { LayerCompression.Gzip, false },
        { LayerCompression.Zstd, false },
        { LayerCompression.None, false },
        { LayerCompression.Gzip, true },
    };

    [Theory]
    [MemberData(nameof(Variants))]
    public async Task Pushed_image_resolves_and_every_blob_reads_back_byte_for_byte(LayerCompression compression, bool docker)
    {
        var ct = TestContext.Current.CancellationToken;
        var registry = _fixture.Registry;
        using var client = Clients.Create();
        var builder = TestImage.Create()
            .WithLayer(compression, TestFile.Dir("etc"), TestFile.Text("etc/hello", "hello\n"), TestFile.Symlink("etc/link", "hello"))
            .WithLayer(compression, TestFile.Bytes("data/blob", new byte[200_000]), TestFile.Whiteout("etc/link"))
            .WithEntrypoint("/bin/true");
        if (docker)
        {
            builder.WithDockerMediaTypes();
        }

        var reference = ImageReference.Parse($"{registry.Host}/roundtrip/{compression.ToString().ToLowerInvariant()}-{(docker ? "docker" : "oci")}:v1");
        var image = await builder.PushAsync(client, reference, ct);

        Assert.Equal(image.Digest, await client.ResolveDigestAsync(reference, ct));
        var manifest = await client.GetManifestAsync(reference, ct);
        Assert.Equal(image.MediaType, manifest.MediaType);
        Assert.Equal(image.Content.ToArray(), manifest.Content.ToArray());

        var resolved = await client.ResolveImageAsync(reference, Platform.LinuxAmd64, ct);
        Assert.Equal(image.Digest, resolved.TopDigest);
        Assert.Equal(image.Manifest.Digest, resolved.ManifestDigest);
        Assert.Equal(image.ConfigDigest, resolved.Config.Digest);
        Assert.Equal(image.Manifest.ConfigBytes.ToArray(), resolved.ConfigBytes.ToArray());
        Assert.Equal(Platform.LinuxAmd64, resolved.Platform);
        Assert.Equal(image.Manifest.Layers.Select(l => l.Descriptor), resolved.Layers);
        Assert.Equal(image.Manifest.Config.Size + image.Manifest.Layers.Sum(l => l.Descriptor.Size), resolved.CompressedSize);
        foreach (var layer in image.Manifest.Layers)
        {
            Assert.Equal(layer.Blob.ToArray(), await ReadAllAsync(client, reference.Repository, layer.Descriptor, ct));
        }
    }

    [Fact]
    public async Task Multi_platform_index_selects_the_platform_and_lists_all_of_them()
    {
        var ct = TestContext.Current.CancellationToken;
        using var client = Clients.Create();
        var arm64 = new Platform("linux", "arm64", "v8");
        var reference = ImageReference.Parse($"{_fixture.Registry.Host}/multi/arch:1");
        var image = await TestImage.Create()
            .WithLayer(LayerCompression.Zstd, TestFile.Text("common", "both"))
            .WithPlatforms(Platform.LinuxAmd64, arm64)
            .PushAsync(client, reference, ct);

        Assert.True(image.IsIndex);
        Assert.Equal(MediaTypes.OciIndex, (await client.GetManifestAsync(reference, ct)).MediaType);
        Assert.Equal([Platform.LinuxAmd64, arm64], await client.ListPlatformsAsync(reference, ct));

        var amd = await client.ResolveImageAsync(reference, Platform.LinuxAmd64, ct);
        var arm = await client.ResolveImageAsync(reference, Platform.Parse("linux/arm64"), ct);
        Assert.Equal(image.Digest, amd.TopDigest);
        Assert.Equal(image.Digest, arm.TopDigest);
        Assert.Equal(image.Manifests[0].Digest, amd.ManifestDigest);
        Assert.Equal(image.Manifests[1].Digest, arm.ManifestDigest);
        Assert.Equal(arm64, arm.Platform);
        var marker = arm.Layers[^1];
        var tar = await ReadAllAsync(client, reference.Repository, marker, ct);
        Assert.Equal(image.Manifests[1].Layers[^1].Blob.ToArray(), tar);

        var missing = await Assert.ThrowsAsync<RegistryException>(() => client.ResolveImageAsync(reference, Platform.Parse("linux/ppc64le"), ct));
        Assert.Contains("no image for linux/ppc64le", missing.Message, StringComparison.Ordinal);
        Assert.Contains("linux/amd64, linux/arm64/v8", missing.Message, StringComparison.Ordinal);
        Assert.False(missing.IsTransient);
    }

    [Fact]
    public async Task ResolveManifestAsync_reads_the_manifests_only_and_agrees_with_ResolveImageAsync()
    {
        var ct = TestContext.Current.CancellationToken;
        var registry = _fixture.Registry;
        using var client = Clients.Create();
        var arm64 = Platform.Parse("linux/arm64/v8");
        var single = ImageReference.Parse($"{registry.Host}/manifests-only/single:1");
        var multi = ImageReference.Parse($"{registry.Host}/manifests-only/multi:1");
        await TestImage.Create().WithLayer(TestFile.Text("etc/a", "a")).WithLayer(TestFile.Text("etc/b", "b")).PushAsync(client, single, ct);
        await TestImage.Create().WithLayer(TestFile.Text("etc/m", "m")).WithPlatforms(Platform.LinuxAmd64, arm64).PushAsync(client, multi, ct);
        var gets = 0;
        client.RequestCompleted += (_, e) => gets += e.Method == "GET" ? 1 : 0;

        foreach (var (reference, platform, manifestGets) in new[] { (single, Platform.LinuxAmd64, 1), (multi, arm64, 2) })
        {
            gets = 0;
            var manifests = await client.ResolveManifestAsync(reference, platform, ct);
            Assert.Equal(manifestGets, gets); // the manifest (and, for an index, the platform's): no blob
            gets = 0;
            var full = await client.ResolveImageAsync(reference, platform, ct);
            Assert.Equal(manifestGets + 1, gets); // the same, and the config blob
            Assert.Equal(full.TopDigest, manifests.TopDigest);
            Assert.Equal(full.ManifestDigest, manifests.ManifestDigest);
            Assert.Equal(full.Config, manifests.Config);
            Assert.Equal(full.Layers, manifests.Layers);
            Assert.Equal(full.Platform, manifests.Platform);
            Assert.True(manifests.ConfigBytes.IsEmpty);
            Assert.False(full.ConfigBytes.IsEmpty);
        }
    }

    [Fact]
    public async Task Docker_manifest_list_and_single_platform_mismatch()
    {
        var ct = TestContext.Current.CancellationToken;
        using var client = Clients.Create();
        var list = ImageReference.Parse($"{_fixture.Registry.Host}/multi/docker:1");
        var image = await TestImage.Create().WithDockerMediaTypes()
            .WithLayer(TestFile.Text("a", "a"))
            .WithPlatforms(Platform.LinuxAmd64, Platform.Parse("linux/arm/v7"))
            .PushAsync(client, list, ct);
        Assert.Equal(MediaTypes.DockerManifestList, (await client.GetManifestAsync(list, ct)).MediaType);
        Assert.Equal(image.Manifests[1].Digest, (await client.ResolveImageAsync(list, Platform.Parse("linux/arm"), ct)).ManifestDigest);

        var single = ImageReference.Parse($"{_fixture.Registry.Host}/single/arm:1");
        await TestImage.Create().WithPlatform(Platform.Parse("linux/arm64")).WithLayer(TestFile.Text("a", "a")).PushAsync(client, single, ct);
        var ex = await Assert.ThrowsAsync<RegistryException>(() => client.ResolveImageAsync(single, Platform.LinuxAmd64, ct));
        Assert.Contains("single-platform image for linux/arm64, not linux/amd64", ex.Message, StringComparison.Ordinal);
        Assert.Equal([Platform.Parse("linux/arm64")], await client.ListPlatformsAsync(single, ct));
    }

    [Fact]
    public async Task Digest_references_are_verified_and_unknown_ones_carry_the_registry_error_code()
    {
        var ct = TestContext.Current.CancellationToken;
        using var client = Clients.Create();
        var reference = ImageReference.Parse($"{_fixture.Registry.Host}/pinned/image:1");
        var image = await TestImage.Create().WithLayer(TestFile.Text("x", "x")).PushAsync(client, reference, ct);

        var pinned = ImageReference.Parse($"{reference.Repository}@{image.Digest}");
        Assert.Equal(image.Digest, await client.ResolveDigestAsync(pinned, ct));
        Assert.Equal(image.Digest, (await client.GetManifestAsync(pinned, ct)).Digest);

        var unknown = ImageReference.Parse($"{reference.Repository}@sha256:{new string('1', 64)}");
        var ex = await Assert.ThrowsAsync<RegistryException>(() => client.GetManifestAsync(unknown, ct));
        Assert.Equal(HttpStatusCode.NotFound, ex.Status);
        Assert.True(ex.HasErrorCode("MANIFEST_UNKNOWN"), ex.Message);
        Assert.Equal(unknown.ToString(), ex.Reference);
        Assert.False(ex.IsTransient);
        Assert.Contains(unknown.ToString(), ex.Message, StringComparison.Ordinal);

        var missingTag = await Assert.ThrowsAsync<RegistryException>(() => client.ResolveDigestAsync(reference.WithTag("nope"), ct));
        Assert.Equal(HttpStatusCode.NotFound, missingTag.Status);
        Assert.True(missingTag.HasErrorCode("MANIFEST_UNKNOWN"), missingTag.Message);

        var missingRepo = await Assert.ThrowsAsync<RegistryException>(() => client.ListTagsAsync(RepositoryName.Parse($"{_fixture.Registry.Host}/no/such"), ct));
        Assert.True(missingRepo.HasErrorCode("NAME_UNKNOWN"), missingRepo.Message);
    }

    [Fact]
    public async Task All_tags_are_listed_and_filtered_by_glob()
    {
        // Distribution 2.8 answers every tag in one page whatever n says (it paginates only the catalog); paging by
        // Link header across several pages is covered against the fault-injecting server (FaultInjectionTests).
        var ct = TestContext.Current.CancellationToken;
        using var client = Clients.Create(o => o.TagPageSize = 3);
        var repository = RepositoryName.Parse($"{_fixture.Registry.Host}/paged/tags");
        var image = TestImage.Create().WithLayer(TestFile.Text("t", "t")).Build();
        var tags = Enumerable.Range(0, 10).Select(i => $"t{i:00}").ToList();
        foreach (var tag in tags)
        {
            await TestImage.PushBuiltAsync(client, ImageReference.ForTag(repository, tag), image, ct);
        }

        var listed = await client.ListTagsAsync(repository, ct);

        Assert.Equal(tags, listed.Order(StringComparer.Ordinal));
        Assert.Equal(["t01", "t02"], listed.Where(t => TagGlob.IsMatch("t0[12]", t)).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Chunked_upload_and_cross_repository_mount()
    {
        var ct = TestContext.Current.CancellationToken;
        using var client = Clients.Create();
        var pusher = new RegistryPusher(client) { MonolithicUploadMaxBytes = 100_000, ChunkSize = 64 * 1024 };
        Assert.Throws<ArgumentOutOfRangeException>(() => new RegistryPusher(client) { ChunkSize = 10 });
        var source = RepositoryName.Parse($"{_fixture.Registry.Host}/mount/source");
        var target = RepositoryName.Parse($"{_fixture.Registry.Host}/mount/target");
        var content = new byte[300_000];
        new Random(7).NextBytes(content);
        var descriptor = new Descriptor(MediaTypes.OciLayer, Digest.Sha256(content), content.Length);

        var methods = new List<string>();
        client.RequestCompleted += (_, e) =>
        {
            lock (methods)
            {
                methods.Add(e.Method);
            }
        };
        await pusher.PushBlobAsync(source, new MemoryStream(content), descriptor.Digest, content.Length, null, ct);
        Assert.Equal(5, methods.Count(m => m == "PATCH"));
        Assert.Equal(content, await ReadAllAsync(client, source, descriptor, ct));

        methods.Clear();
        await pusher.PushBlobAsync(target, new MemoryStream(content), descriptor.Digest, content.Length, source, ct);
        Assert.Equal(["HEAD", "POST"], methods);
        Assert.True(await pusher.BlobExistsAsync(target, descriptor.Digest, ct));

        methods.Clear();
        await pusher.PushBlobAsync(target, new MemoryStream(content), descriptor.Digest, content.Length, null, ct);
        Assert.Equal(["HEAD"], methods);
    }

    [Fact]
    public async Task Pushing_content_that_does_not_match_its_digest_fails_and_stores_nothing()
    {
        var ct = TestContext.Current.CancellationToken;
        using var client = Clients.Create();
        var pusher = new RegistryPusher(client) { MonolithicUploadMaxBytes = 0 };
        var repository = RepositoryName.Parse($"{_fixture.Registry.Host}/bad/push");
        var content = new byte[100_000];
        var claimed = Digest.Sha256("something else"u8);

        var ex = await Assert.ThrowsAsync<DigestMismatchException>(() => pusher.PushBlobAsync(repository, new MemoryStream(content), claimed, content.Length, null, ct));
        Assert.Equal(claimed, ex.Expected);
        Assert.Equal(Digest.Sha256(content), ex.Actual);
        Assert.False(await pusher.BlobExistsAsync(repository, claimed, ct));

        var shortContent = await Assert.ThrowsAsync<DigestMismatchException>(() => pusher.PushBlobAsync(repository, new MemoryStream(content), Digest.Sha256(content), content.Length + 5, null, ct));
        Assert.Equal(content.Length, shortContent.ActualSize);
    }

    [Fact]
    public async Task Blob_cache_serves_a_second_read_from_disk_and_bounds_its_size()
    {
        var ct = TestContext.Current.CancellationToken;
        using var cacheDir = new TempDirectory("blob-cache");
        using var client = Clients.Create(o =>
        {
            o.BlobCacheDirectory = cacheDir.Path;
            o.BlobCacheMaxBytes = 1024 * 1024;
        });
        var gets = 0;
        client.RequestCompleted += (_, e) =>
        {
            if (e.Method == "GET")
            {
                Interlocked.Increment(ref gets);
            }
        };
        var repository = RepositoryName.Parse($"{_fixture.Registry.Host}/cache/blobs");
        var blobs = Enumerable.Range(0, 3).Select(i =>
        {
            var data = new byte[400 * 1024];
            new Random(i).NextBytes(data);
            return (Data: data, Descriptor: new Descriptor(MediaTypes.OciLayer, Digest.Sha256(data), data.Length));
        }).ToList();
        foreach (var (data, descriptor) in blobs)
        {
            await client.PushBlobAsync(repository, new MemoryStream(data), descriptor.Digest, data.Length, ct);
        }

        Assert.Equal(blobs[0].Data, await ReadAllAsync(client, repository, blobs[0].Descriptor, ct));
        Assert.Equal(1, gets);
        var cached = Path.Combine(cacheDir.Path, "blobs", "sha256", blobs[0].Descriptor.Digest.Hex);
        Assert.Equal(blobs[0].Data, await File.ReadAllBytesAsync(cached, ct));
        Assert.Equal(blobs[0].Data, await ReadAllAsync(client, repository, blobs[0].Descriptor, ct));
        Assert.Equal(1, gets);

        // Make blob 0 the oldest, then fill the cache past its 1 MiB bound: blob 0 goes, the newer ones stay.
        File.SetLastWriteTimeUtc(cached, DateTime.UtcNow.AddHours(-1));
        Assert.Equal(blobs[1].Data, await ReadAllAsync(client, repository, blobs[1].Descriptor, ct));
        Assert.Equal(blobs[2].Data, await ReadAllAsync(client, repository, blobs[2].Descriptor, ct));
        Assert.False(File.Exists(cached));
        Assert.Equal(2, Directory.GetFiles(Path.Combine(cacheDir.Path, "blobs", "sha256")).Length);
        Assert.Empty(Directory.GetFiles(Path.Combine(cacheDir.Path, "tmp")));

        // A damaged cache file is detected by the reader, reported, and dropped.
        var second = Path.Combine(cacheDir.Path, "blobs", "sha256", blobs[2].Descriptor.Digest.Hex);
        var damaged = (byte[])blobs[2].Data.Clone();
        damaged[10] ^= 0xff;
        await File.WriteAllBytesAsync(second, damaged, ct);
        await Assert.ThrowsAsync<DigestMismatchException>(() => ReadAllAsync(client, repository, blobs[2].Descriptor, ct));
        Assert.False(File.Exists(second));
        Assert.Equal(blobs[2].Data, await ReadAllAsync(client, repository, blobs[2].Descriptor, ct));
    }

    [Fact]
    public async Task Concurrent_readers_of_one_blob_all_get_it_and_the_cache_holds_one_copy()
    {
        var ct = TestContext.Current.CancellationToken;
        using var cacheDir = new TempDirectory("blob-cache");
        var repository = RepositoryName.Parse($"{_fixture.Registry.Host}/cache/concurrent");
        var data = new byte[2 * 1024 * 1024];
        new Random(3).NextBytes(data);
        var descriptor = new Descriptor(MediaTypes.OciLayer, Digest.Sha256(data), data.Length);
        using (var pusher = Clients.Create())
        {
            await pusher.PushBlobAsync(repository, new MemoryStream(data), descriptor.Digest, data.Length, ct);
        }

        // Two clients stand for two processes sharing the directory.
        using var a = Clients.Create(o => o.BlobCacheDirectory = cacheDir.Path);
        using var b = Clients.Create(o => o.BlobCacheDirectory = cacheDir.Path);
        var reads = await Task.WhenAll(Enumerable.Range(0, 6).Select(i => ReadAllAsync(i % 2 == 0 ? a : b, repository, descriptor, ct)));

        Assert.All(reads, r => Assert.Equal(data, r));
        Assert.Single(Directory.GetFiles(Path.Combine(cacheDir.Path, "blobs", "sha256")));
        Assert.Empty(Directory.GetFiles(Path.Combine(cacheDir.Path, "tmp")));
    }

    [Fact]
    public async Task Several_processes_pulling_into_one_cache_leave_exactly_the_verified_blobs()
    {
        var ct = TestContext.Current.CancellationToken;
        using var cacheDir = new TempDirectory("blob-cache");
        var reference = ImageReference.Parse($"{_fixture.Registry.Host}/cache/processes:1");
        using (var client = Clients.Create())
        {
            await TestImage.Create()
                .WithRandomLayer("a", 3 * 1024 * 1024, seed: 1)
                .WithRandomLayer("b", 2 * 1024 * 1024, seed: 2, LayerCompression.Gzip)
                .WithRandomLayer("c", 1024 * 1024, seed: 3)
                .PushAsync(client, reference, ct);
        }

        // This test executable itself, as CachePullChild, pulls every blob of the image through a RegistryClient cache.
        var processes = Enumerable.Range(0, 4).Select(_ => System.Diagnostics.Process.Start(
            new System.Diagnostics.ProcessStartInfo("dotnet", [typeof(CachePullChild).Assembly.Location, CachePullChild.Verb, reference.ToString(), cacheDir.Path])
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            })!).ToList();
        foreach (var process in processes)
        {
            using (process)
            {
                var stderr = process.StandardError.ReadToEndAsync(ct);
                await process.StandardOutput.ReadToEndAsync(ct);
                await process.WaitForExitAsync(ct);
                Assert.True(process.ExitCode == 0, $"pull exited with {process.ExitCode}: {await stderr}");
            }
        }

        var files = Directory.GetFiles(Path.Combine(cacheDir.Path, "blobs", "sha256"));
        Assert.Equal(4, files.Length); // config and three layers
        foreach (var file in files)
        {
            Assert.Equal(Path.GetFileName(file), Digest.Sha256(await File.ReadAllBytesAsync(file, ct)).Hex);
        }

        Assert.Empty(Directory.GetFiles(Path.Combine(cacheDir.Path, "tmp")));
    }

    internal static async Task<byte[]> ReadAllAsync(Registry.RegistryClient client, RepositoryName repository, Descriptor descriptor, CancellationToken ct)
    {
        await using var stream = await client.OpenBlobAsync(repository, descriptor, ct);
        using var copy = new MemoryStream();
        await stream.CopyToAsync(copy, ct);
        return copy.ToArray();
    }
}
