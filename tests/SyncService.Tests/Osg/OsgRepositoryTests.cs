using System.Text;
using System.Text.Json;
using CvmfsImages.Registry;
using CvmfsImages.Registry.Names;
using CvmfsImages.TestSupport;
using CvmfsImages.TestSupport.Images;
using CvmfsImages.TestSupport.Osg;
using Xunit;

namespace CvmfsImages.Tests.SyncService.Osg;

/// <summary>
/// The OSG-style repository builder of TestSupport (for the takeover tests): its hash rule against hand-computed
/// values, its tag-path rule against OSG's <c>parse_image</c>, and the layout it writes from images in the real
/// registry.
/// </summary>
public sealed class OsgRepositoryTests(RegistryFixture fixture) : IClassFixture<RegistryFixture>
{
    // sha256("a") and sha256("b"): stand-ins for layer digests.
    private const string A = "ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb";
    private const string B = "3e23e8160039594a33894f6564e1b1348bbd7a0088d42c4acb73eeaed59c009d";

    [Fact]
    public void The_hash_is_sha256_over_the_hex_of_the_layer_digests_in_manifest_order_computed_by_hand()
    {
        // printf '%s%s' $A $B | sha256sum
        var schema2 = Encoding.UTF8.GetBytes($$"""{"schemaVersion": 2, "mediaType": "application/vnd.docker.distribution.manifest.v2+json", "config": {"digest": "sha256:{{new string('c', 64)}}"}, "layers": [{"digest": "sha256:{{A}}"}, {"digest": "sha256:{{B}}"}]}""");
        Assert.Equal("62af5c3cb8da3e4f25061e829ebeea5c7513c54949115b1acc225930a90154da", OsgLayout.ImageHash(schema2, "sha256:" + new string('d', 64)));
        Assert.Equal(".images/62/af5c3cb8da3e4f25061e829ebeea5c7513c54949115b1acc225930a90154da", OsgLayout.ImageDirectory("62af5c3cb8da3e4f25061e829ebeea5c7513c54949115b1acc225930a90154da"));

        // Schema 1 lists fsLayers top layer first; they are hashed as listed: printf '%s%s' $B $A | sha256sum
        var schema1 = Encoding.UTF8.GetBytes($$"""{"schemaVersion": 1, "name": "x/y", "tag": "1", "fsLayers": [{"blobSum": "sha256:{{B}}"}, {"blobSum": "sha256:{{A}}"}]}""");
        Assert.Equal("ab19ec537f09499b26f0f62eed7aefad46ab9f498e06a7328ce8e8ef90da6d86", OsgLayout.ImageHash(schema1, "sha256:" + new string('d', 64)));

        // An OCI manifest is schema 2 with layers too; no layers at all hashes nothing: sha256 of the empty string.
        var empty = Encoding.UTF8.GetBytes("""{"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json", "layers": []}""");
        Assert.Equal("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", OsgLayout.ImageHash(empty, "sha256:" + new string('d', 64)));
    }

    [Fact]
    public void A_manifest_list_is_named_by_its_digest_with_the_colon_in_the_first_directory()
    {
        var digest = "sha256:" + A;
        var list = Encoding.UTF8.GetBytes($$"""{"schemaVersion": 2, "mediaType": "application/vnd.docker.distribution.manifest.list.v2+json", "manifests": [{"digest": "sha256:{{B}}"}]}""");

        Assert.Equal(digest, OsgLayout.ImageHash(list, digest));
        Assert.Equal(".images/sha256:ca/978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb", OsgLayout.ImageDirectory(digest));
        Assert.Equal(62, OsgLayout.ImageDirectory(digest).Split('/')[2].Length);
        Assert.Throws<KeyNotFoundException>(() => OsgLayout.ImageHash("""{"manifests": []}"""u8, digest));
    }

    [Theory]
    [InlineData("python", "library/python:latest")]
    [InlineData("ubuntu:24.04", "library/ubuntu:24.04")]
    [InlineData("opensciencegrid/osgvo-el9:latest", "opensciencegrid/osgvo-el9:latest")]
    [InlineData("opensciencegrid/osgvo-el9", "opensciencegrid/osgvo-el9:latest")]
    [InlineData("containers.ligo.org/lscsoft/lalsuite/lalsuite-v6.53:stretch", "lscsoft/lalsuite/lalsuite-v6.53:stretch")]
    [InlineData("127.0.0.1:5000/ns/app:1", "ns/app:1")]
    [InlineData("hub.opensciencegrid.org/htc/rocky:9", "htc/rocky:9")]
    [InlineData("ghcr.io/tool:1", "ghcr.io/tool:1")] // parse_image: two components are namespace/image, registry or not
    public void Tag_paths_follow_parse_image(string line, string path) => Assert.Equal(path, OsgLayout.TagPath(line));

    [Fact]
    public void Missing_links_are_written_as_pythons_json_dump_writes_them()
    {
        // python3 -c 'import json; print(json.dumps({"missing_links": {"/cvmfs/x/.images/ab/cd": 1700000000, "/a\"b\\\u00e9\x7f\n\x01": 1}}))'
        Assert.Equal(
            """{"missing_links": {"/cvmfs/x/.images/ab/cd": 1700000000, "/a\"b\\\u00e9\u007f\n\u0001": 1}}""",
            OsgRepository.MissingLinksJson([new("/cvmfs/x/.images/ab/cd", 1700000000), new("/a\"b\\\u00e9\u007f\n\u0001", 1)]));
        Assert.Equal("""{"missing_links": {}}""", OsgRepository.MissingLinksJson([]));
    }

    [Fact]
    public async Task Images_from_the_registry_are_laid_out_as_osgs_script_does()
    {
        var registry = fixture.Registry;
        var ct = TestContext.Current.CancellationToken;
        using var client = new RegistryClient(new RegistryClientOptions());
        var single = await TestImage.Create()
            .WithLayer(TestFile.Dir("etc"), TestFile.Text("etc/hello", "one\n"), TestFile.Text("etc/gone", "x"))
            .WithLayer(TestFile.Text("etc/hello", "two\n"), TestFile.Whiteout("etc/gone"))
            .PushAsync(client, $"{registry.Host}/osg/single:1", ct);
        var multi = await TestImage.Create()
            .WithLayer(TestFile.Text("etc/hello", "multi\n"))
            .WithPlatforms(Platform.LinuxAmd64, Platform.Parse("linux/arm64/v8"))
            .PushAsync(client, $"{registry.Host}/osg/multi:1", ct);
        var other = await TestImage.Create().WithLayer(TestFile.Text("etc/hello", "nobody links me\n")).PushAsync(client, $"{registry.Host}/osg/other:1", ct);

        using var dir = new TempDirectory("osg-repo");
        var repo = new OsgRepository(dir.Combine("root"));
        var s = await repo.AddImageAsync(single, $"{registry.Host}/osg/single:1", cancellationToken: ct);
        var m = await repo.AddImageAsync(multi, $"{registry.Host}/osg/multi:1", cancellationToken: ct);
        var unlinked = await repo.AddUnlinkedImageAsync(other, cancellationToken: ct);
        repo.LinkTag("osg/unlisted:old", s);
        repo.AddMissingLink(unlinked, DateTimeOffset.FromUnixTimeSeconds(1_700_000_000));
        repo.AddMissingLink(m.LinkTarget + "-removed-by-hand", DateTimeOffset.FromUnixTimeSeconds(1_700_000_100));

        // The hash of what the registry serves, by the rule: the layer digests' hex, concatenated, hashed.
        var served = await client.GetManifestAsync(ImageReference.Parse($"{registry.Host}/osg/single:1"), ct);
        var layers = JsonDocument.Parse(served.Content).RootElement.GetProperty("layers").EnumerateArray().Select(l => l.GetProperty("digest").GetString()![7..]);
        var expected = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(string.Concat(layers))));
        Assert.Equal(expected, s.Hash);
        Assert.Equal($".images/{expected[..2]}/{expected[2..]}", s.RelativeDirectory);
        Assert.True(served.Content.Span.SequenceEqual(single.Content.Span), "the registry serves the bytes that were pushed, which the builder hashed");

        // The tree: layers applied with whiteouts, Singularity's metadata, srv/ and cvmfs/; no metadata file beside it.
        Assert.Equal("two\n", File.ReadAllText(Path.Combine(s.LocalDirectory, "etc/hello")));
        Assert.False(File.Exists(Path.Combine(s.LocalDirectory, "etc/gone")));
        Assert.True(Directory.Exists(Path.Combine(s.LocalDirectory, ".singularity.d")));
        Assert.True(Directory.Exists(Path.Combine(s.LocalDirectory, "srv")));
        Assert.True(Directory.Exists(Path.Combine(s.LocalDirectory, "cvmfs")));
        Assert.Equal([Path.GetFileName(s.LocalDirectory)], Directory.EnumerateFileSystemEntries(Path.GetDirectoryName(s.LocalDirectory)!).Select(Path.GetFileName));

        // Tags: absolute links into .images that resolve; the registry is dropped from the path.
        var tag = new FileInfo(Path.Combine(repo.Root, "osg/single:1"));
        Assert.Equal(Path.Combine(repo.Root, s.RelativeDirectory), tag.LinkTarget);
        Assert.StartsWith("/", tag.LinkTarget, StringComparison.Ordinal);
        Assert.Equal("two\n", File.ReadAllText(Path.Combine(repo.Root, "osg/single:1/etc/hello")));
        Assert.Equal(s.LinkTarget, new FileInfo(Path.Combine(repo.Root, "osg/unlisted:old")).LinkTarget);

        // The manifest list: named by the index digest, holding the amd64 tree.
        Assert.True(multi.IsIndex);
        Assert.Equal(multi.Digest.ToString(), m.Hash);
        Assert.Equal($".images/sha256:{multi.Digest.Hex[..2]}/{multi.Digest.Hex[2..]}", m.RelativeDirectory);
        Assert.Equal("linux/amd64", File.ReadAllText(Path.Combine(repo.Root, "osg/multi:1/etc/test-image-platform")));

        // The dir nobody links, and OSG's clock for it.
        Assert.True(Directory.Exists(unlinked.LocalDirectory));
        Assert.DoesNotContain(
            Directory.EnumerateFileSystemEntries(repo.Root, "*", SearchOption.AllDirectories).Where(p => !p.Contains("/.images/", StringComparison.Ordinal)),
            p => new FileInfo(p).LinkTarget == unlinked.LinkTarget);
        Assert.Equal(
            $$$"""{"missing_links": {"{{{unlinked.LinkTarget}}}": 1700000000, "{{{m.LinkTarget}}}-removed-by-hand": 1700000100}}""",
            File.ReadAllText(repo.MissingLinksFile));

        // Adding an image whose directory exists only links it (publish_image, lines 416-418).
        var before = Directory.GetLastWriteTimeUtc(s.LocalDirectory);
        var again = await repo.AddImageAsync(single, "osg/single:again", cancellationToken: ct);
        Assert.Equal(s.LocalDirectory, again.LocalDirectory);
        Assert.Equal(before, Directory.GetLastWriteTimeUtc(s.LocalDirectory));
        Assert.Equal(s.LinkTarget, new FileInfo(Path.Combine(repo.Root, "osg/single:again")).LinkTarget);
    }

    [Fact]
    public async Task Links_name_the_mount_path_as_worker_nodes_see_the_repository()
    {
        var ct = TestContext.Current.CancellationToken;
        var image = TestImage.Create().WithLayer(TestFile.Text("etc/hello", "mounted\n")).Build();
        using var dir = new TempDirectory("osg-repo");
        var repo = new OsgRepository(dir.Combine("root"), "/cvmfs/singularity.opensciencegrid.org");

        var added = await repo.AddImageAsync(image, "opensciencegrid/osgvo-el9:latest", cancellationToken: ct);
        repo.AddMissingLink(added, DateTimeOffset.FromUnixTimeSeconds(5));

        Assert.Equal("/cvmfs/singularity.opensciencegrid.org/" + added.RelativeDirectory, new FileInfo(Path.Combine(repo.Root, "opensciencegrid/osgvo-el9:latest")).LinkTarget);
        Assert.Equal($$$"""{"missing_links": {"/cvmfs/singularity.opensciencegrid.org/{{{added.RelativeDirectory}}}": 5}}""", File.ReadAllText(repo.MissingLinksFile));
        Assert.Throws<ArgumentException>(() => new OsgRepository(dir.Combine("other"), "relative/mount"));
        Assert.Throws<ArgumentException>(() => repo.LinkTag("../escape:1", added));
    }
}
