using Xunit;
using CvmfsImages.Publisher.Publishing;

namespace CvmfsImages.Tests.CvmfsPublisher.Publishing;

public sealed class RepositoryLayoutTests
{
    private const string Hex = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    [Theory]
    [InlineData("docker.io", "library/python", "3.12", null, PathStyle.Osg, null, "library/python:3.12")]
    [InlineData("docker.io", "library/python", "3.12", null, PathStyle.Registry, null, "docker.io/library/python:3.12")]
    [InlineData("ghcr.io", "org/tool", "v1", null, PathStyle.Osg, null, "org/tool:v1")]
    [InlineData("127.0.0.1:5000", "org/tool", "v1", null, PathStyle.Registry, null, "127.0.0.1:5000/org/tool:v1")]
    [InlineData("quay.io", "org/img", null, "sha256:" + Hex, PathStyle.Osg, null, "org/img@sha256:" + Hex)]
    [InlineData("quay.io", "org/img", "1", "sha256:" + Hex, PathStyle.Osg, null, "org/img@sha256:" + Hex)]
    [InlineData("docker.io", "library/python", "3.12", null, PathStyle.Osg, "linux-arm64-v8", "library/python:3.12@linux-arm64-v8")]
    public void Tag_paths_follow_the_path_style(string registry, string path, string? tag, string? digest, PathStyle style, string? suffix, string expected) =>
        Assert.Equal(expected, RepositoryLayout.TagPath(registry, path, tag, digest, style, suffix));

    [Fact]
    public void Images_live_under_their_config_digest_with_metadata_beside_them()
    {
        Assert.Equal(".images/01/23456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", RepositoryLayout.ImageDirectory("sha256:" + Hex));
        Assert.Equal(".images/01/23456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef.json", RepositoryLayout.MetadataFile("sha256:" + Hex));
        Assert.Equal("linux-arm-v7", RepositoryLayout.PlatformSuffix("linux", "arm", "v7"));
        Assert.Equal("linux-amd64", RepositoryLayout.PlatformSuffix("linux", "amd64"));
        var error = Assert.Throws<ArgumentException>(() => RepositoryLayout.ImageDirectory("sha256:../../etc"));
        Assert.Contains("sha256:../../etc", error.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => RepositoryLayout.ImageDirectory("sha256:" + Hex.ToUpperInvariant()));
    }

    [Theory]
    [InlineData("", "empty")]
    [InlineData("/etc/passwd:1", "absolute")]
    [InlineData("org/../../etc:1", "'..'")]
    [InlineData("org/./x:1", "'.'")]
    [InlineData(".images/ab/cd:1", "starts with '.'")]
    [InlineData("org/.hidden:1", "starts with '.'")]
    [InlineData("org//x:1", "empty component")]
    [InlineData("org/x:1/", "empty component")]
    [InlineData("org/x\n:1", "U+000A")]
    [InlineData("org/x\u0001:1", "U+0001")]
    [InlineData("org\\x:1", "U+005C")]
    [InlineData("org/notag", "no ':<tag>'")]
    public void Refuses_unsafe_tag_paths_naming_the_path_and_the_reason(string path, string reason)
    {
        var error = Assert.Throws<InvalidTagPathException>(() => RepositoryLayout.ValidateTagPath(path));
        Assert.Contains(reason, error.Message, StringComparison.Ordinal);
        Assert.Equal(path, error.TagPath);
        Assert.DoesNotContain("\n", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Refuses_a_tag_that_would_make_an_unsafe_path()
    {
        Assert.Throws<InvalidTagPathException>(() => RepositoryLayout.TagPath("docker.io", "library/x", "..", null, PathStyle.Osg, null) is var p && p.Contains('/') ? RepositoryLayout.TagPath("docker.io", "..", "1", null, PathStyle.Osg) : p);
        Assert.Throws<ArgumentException>(() => RepositoryLayout.TagPath("docker.io", "library/x", "1", null, PathStyle.Osg, "Linux/ARM"));
        Assert.Throws<ArgumentException>(() => RepositoryLayout.TagPath("docker.io", "library/x", null, null, PathStyle.Osg));
    }

    [Fact]
    public void Finds_two_references_on_one_path_and_names_both()
    {
        var claims = new TagPathClaims<string>();
        var collisions = new List<TagPathCollision>();
        foreach (var (reference, path) in new[]
        {
            ("docker.io/org/tool:1", "org/tool:1"),
            ("ghcr.io/org/tool:1", "org/tool:1"),
            ("docker.io/org/tool:1", "org/tool:1"), // the same reference twice is a duplicate, not a collision
            ("quay.io/org/other:1", "org/other:1"),
            ("quay.io/org/tool:1", "org/tool:1"),   // a third collides with the first, which keeps the path
        })
        {
            if (!claims.TryClaim(path, reference, out var first))
            {
                collisions.Add(new TagPathCollision(path, first, reference));
            }
        }

        Assert.Equal(2, collisions.Count);
        var collision = collisions[0];
        Assert.Equal(("org/tool:1", "docker.io/org/tool:1", "ghcr.io/org/tool:1"), (collision.TagPath, collision.FirstReference, collision.SecondReference));
        Assert.Contains("docker.io/org/tool:1", collision.Message, StringComparison.Ordinal);
        Assert.Contains("ghcr.io/org/tool:1", collision.Message, StringComparison.Ordinal);
        Assert.Equal(("docker.io/org/tool:1", "quay.io/org/tool:1"), (collisions[1].FirstReference, collisions[1].SecondReference));
    }

    [Fact]
    public void A_claim_by_the_same_owner_is_not_a_collision()
    {
        var claims = new TagPathClaims<(string Reference, string Image)>((a, b) => a.Image == b.Image);

        Assert.True(claims.TryClaim("org/tool:1", ("docker.io/org/tool:1", "sha256:a"), out _));
        Assert.True(claims.TryClaim("org/tool:1", ("ghcr.io/org/tool:1", "sha256:a"), out _));
        Assert.False(claims.TryClaim("org/tool:1", ("quay.io/org/tool:1", "sha256:b"), out var holder));
        Assert.Equal("docker.io/org/tool:1", holder.Reference);
        Assert.True(claims.TryClaim("org/tool:2", ("quay.io/org/tool:1", "sha256:b"), out _));
    }

    [Theory]
    [InlineData("x:1", "sha256:" + Hex)]
    [InlineData("a/b/c/x:1", "sha256:" + Hex)]
    public void Link_targets_are_relative_and_read_back(string tagPath, string digest)
    {
        var target = RepositoryLayout.LinkTarget(tagPath, digest);
        Assert.False(target.StartsWith('/'));
        Assert.True(RepositoryLayout.TryParseLinkTarget(tagPath, target, null, out var parsed));
        Assert.Equal(digest, parsed);
        Assert.False(RepositoryLayout.TryParseLinkTarget(tagPath, "/cvmfs/x/" + RepositoryLayout.ImageDirectory(digest), null, out _));
        Assert.False(RepositoryLayout.TryParseLinkTarget(tagPath, "../../../../../../" + RepositoryLayout.ImageDirectory(digest), null, out _));
    }

    [Theory]
    [InlineData("/cvmfs/x/.images/ab/" + Tail, "sha256:ab" + Tail)]
    [InlineData("/cvmfs/x/.images/ab/" + Tail + "/", "sha256:ab" + Tail)]
    [InlineData("/cvmfs/x//.images/./ab/" + Tail, "sha256:ab" + Tail)]
    [InlineData("/cvmfs/x/.images/sha256:ab/" + Tail, "osg-index:sha256:ab" + Tail)]
    public void Absolute_links_into_the_mount_path_are_tags_as_osg_writes_them(string target, string key)
    {
        Assert.True(RepositoryLayout.TryParseLinkTarget("ns/app:1", target, "/cvmfs/x", out var parsed));
        Assert.Equal(key, parsed);
        Assert.Equal(target.Replace("//", "/", StringComparison.Ordinal).Replace("/./", "/", StringComparison.Ordinal).TrimEnd('/')[9..], RepositoryLayout.ImageDirectory(parsed));
        Assert.False(RepositoryLayout.TryParseLinkTarget("ns/app:1", target, null, out _)); // no mount path: not ours
    }

    [Theory]
    [InlineData("/cvmfs/other/.images/ab/" + Tail)]              // another repository
    [InlineData("/cvmfs/xy/.images/ab/" + Tail)]                 // a sibling whose name starts like it
    [InlineData("/cvmfs/x/../x/.images/ab/" + Tail)]             // '..' before the mount path
    [InlineData("/cvmfs/x/ns/../.images/ab/" + Tail)]            // '..' inside
    [InlineData("/cvmfs/x/.images/ab/" + Tail + "/etc")]         // into an image
    [InlineData("/cvmfs/x/.images/AB/" + Tail)]                  // upper-case hex
    [InlineData("/cvmfs/x/.images/sha256:ab/" + Tail + "0")]     // 63 characters
    [InlineData("/cvmfs/x/.images/sha512:ab/" + Tail)]
    [InlineData("/cvmfs/x")]
    [InlineData("/cvmfs/x/")]
    [InlineData("/")]
    public void Absolute_links_elsewhere_are_not_tags(string target) =>
        Assert.False(RepositoryLayout.TryParseLinkTarget("ns/app:1", target, "/cvmfs/x", out _));

    [Fact]
    public void Index_keys_name_osgs_manifest_list_directories()
    {
        var key = "osg-index:sha256:ab" + Tail;
        Assert.True(RepositoryLayout.IsImageKey(key));
        Assert.Equal(".images/sha256:ab/" + Tail, RepositoryLayout.ImageDirectory(key));
        Assert.Equal(".images/sha256:ab/" + Tail + ".json", RepositoryLayout.MetadataFile(key));
        Assert.Equal(key, RepositoryLayout.KeyOfDirectory(".images/sha256:ab/" + Tail));
        Assert.Equal("sha256:ab" + Tail, RepositoryLayout.KeyOfDirectory(".images/ab/" + Tail));
        Assert.Null(RepositoryLayout.KeyOfDirectory(".images/ab/" + Tail + "/x"));
        Assert.Null(RepositoryLayout.KeyOfDirectory("../.images/ab/" + Tail));
        Assert.False(RepositoryLayout.IsImageKey("osg-index:" + Tail));
        Assert.False(RepositoryLayout.IsImageKey("osg-index:osg-index:sha256:ab" + Tail));
        Assert.Equal("../.images/sha256:ab/" + Tail, RepositoryLayout.LinkTarget("a/b:1", key, TagLinks.Relative, "/cvmfs/x"));
        Assert.Equal("/cvmfs/x/.images/sha256:ab/" + Tail, RepositoryLayout.LinkTarget("a/b:1", key, TagLinks.Absolute, "/cvmfs/x"));
    }

    private const string Tail = "cdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789";
}
