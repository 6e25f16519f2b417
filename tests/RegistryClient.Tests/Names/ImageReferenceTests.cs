using CvmfsImages.Registry.Names;
using Xunit;

namespace CvmfsImages.Tests.RegistryClient.Names;

public sealed class ImageReferenceTests
{
    private const string Hex = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    [Theory]
    [InlineData("python", "docker.io", "library/python", "latest", null)]
    [InlineData("python:3.12", "docker.io", "library/python", "3.12", null)]
    [InlineData("opensciencegrid/osgvo-el9:latest", "docker.io", "opensciencegrid/osgvo-el9", "latest", null)]
    [InlineData("docker.io/python", "docker.io", "library/python", "latest", null)]
    [InlineData("index.docker.io/library/python:3", "docker.io", "library/python", "3", null)]
    [InlineData("registry-1.docker.io/rocker/r-ver:4.4.1", "docker.io", "rocker/r-ver", "4.4.1", null)]
    [InlineData("ghcr.io/org/tool:v1.2", "ghcr.io", "org/tool", "v1.2", null)]
    [InlineData("quay.io/biocontainers/samtools:1.21--h50ea8bc_0", "quay.io", "biocontainers/samtools", "1.21--h50ea8bc_0", null)]
    [InlineData("localhost/img", "localhost", "img", "latest", null)]
    [InlineData("localhost:5000/a/b/c:t", "localhost:5000", "a/b/c", "t", null)]
    [InlineData("127.0.0.1:5000/test/x", "127.0.0.1:5000", "test/x", "latest", null)]
    [InlineData("Registry/img", "Registry", "img", "latest", null)]
    [InlineData("[::1]:5000/img:1", "[::1]:5000", "img", "1", null)]
    [InlineData("harbor.example.org/project/sub/image:_x", "harbor.example.org", "project/sub/image", "_x", null)]
    [InlineData("a__b/c---d/e.f_g:T-1.0", "docker.io", "a__b/c---d/e.f_g", "T-1.0", null)]
    [InlineData("alpine@sha256:" + Hex, "docker.io", "library/alpine", null, "sha256:" + Hex)]
    [InlineData("alpine:3.20@sha256:" + Hex, "docker.io", "library/alpine", "3.20", "sha256:" + Hex)]
    public void Parses_and_normalises_like_docker(string input, string registry, string path, string? tag, string? digest)
    {
        var reference = ImageReference.Parse(input);

        Assert.Equal(registry, reference.Registry);
        Assert.Equal(path, reference.Path);
        Assert.Equal(tag, reference.Tag);
        Assert.Equal(digest, reference.Digest?.ToString());
        Assert.Equal(reference, ImageReference.Parse(reference.ToString()));
        Assert.Equal(reference, ImageReference.Parse(reference.ToFamiliarString()));
    }

    [Theory]
    [InlineData("python", "docker.io/library/python:latest", "python:latest")]
    [InlineData("osg/el9:1", "docker.io/osg/el9:1", "osg/el9:1")]
    [InlineData("docker.io/library/a/b:1", "docker.io/library/a/b:1", "library/a/b:1")]
    [InlineData("ghcr.io/o/t@sha256:" + Hex, "ghcr.io/o/t@sha256:" + Hex, "ghcr.io/o/t@sha256:" + Hex)]
    public void Round_trips_to_canonical_and_familiar_strings(string input, string canonical, string familiar)
    {
        var reference = ImageReference.Parse(input);

        Assert.Equal(canonical, reference.ToString());
        Assert.Equal(familiar, reference.ToFamiliarString());
    }

    [Theory]
    [InlineData("", "empty")]
    [InlineData("Python", "must be lower case")]
    [InlineData("docker.io/Library/python", "must be lower case")]
    [InlineData("python:", "tag is empty")]
    [InlineData("python:.hidden", "must start with")]
    [InlineData("python:a/b", "invalid port")] // a "/" after the ":" makes "python:a" a registry with a bad port
    [InlineData("python:bad tag", "whitespace")]
    [InlineData("py thon", "whitespace")]
    [InlineData("python:t\u00e9", "printable ASCII")]
    [InlineData("/python", "empty component")]
    [InlineData("org//python", "empty component")]
    [InlineData("org/python/", "empty component")]
    [InlineData("org/-python", "only a-z")]
    [InlineData("org/python-", "only a-z")]
    [InlineData("org/py..thon", "only a-z")]
    [InlineData("org/py___thon", "only a-z")]
    [InlineData("org/py$thon", "only a-z")]
    [InlineData("-bad.host/img", "not a valid host name")]
    [InlineData("bad_host.io/img", "not a valid host name")]
    [InlineData("host.io:99999/img", "invalid port")]
    [InlineData("host.io:/img", "invalid port")]
    [InlineData("host.io:12ab/img", "invalid port")]
    [InlineData("[zz]:5000/img", "IPv6")]
    [InlineData("python@sha256:abc", "64 hex digits")]
    [InlineData("python@sha256:" + "0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef", "lower-case")]
    [InlineData("python@md5:0123456789abcdef0123456789abcdef", "unsupported digest algorithm")]
    [InlineData("python@" + Hex, "algorithm:hex")]
    [InlineData("ghcr.io/", "repository path is empty")]
    public void Refuses_bad_input_with_a_message_that_quotes_it(string input, string reason)
    {
        var ex = Assert.Throws<ReferenceFormatException>(() => ImageReference.Parse(input));

        Assert.Contains(reason, ex.Reason, StringComparison.Ordinal);
        Assert.Equal(input, ex.Input);
        Assert.Contains($"'{input}'", ex.Message, StringComparison.Ordinal);
        Assert.False(ImageReference.TryParse(input, out _, out var why));
        Assert.Equal(ex.Reason, why);
    }

    [Fact]
    public void Refuses_overlong_tags_names_and_input()
    {
        Assert.Contains("128", Assert.Throws<ReferenceFormatException>(() => ImageReference.Parse("a:" + new string('t', 129))).Reason, StringComparison.Ordinal);
        var longestTag = new string('t', 128);
        Assert.Equal(longestTag, ImageReference.Parse("a:" + longestTag).Tag);

        // 255 characters is the longest name: docker.io/ (10) + path.
        var longest = "x/" + new string('p', 255 - 10 - 2);
        var parsed = ImageReference.Parse(longest);
        Assert.Equal(longest, parsed.Path);
        Assert.Equal(255, $"{parsed.Registry}/{parsed.Path}".Length);
        Assert.Contains("255", Assert.Throws<ReferenceFormatException>(() => ImageReference.Parse(longest + "p")).Reason, StringComparison.Ordinal);
        Assert.Contains("1024", Assert.Throws<ReferenceFormatException>(() => ImageReference.Parse(new string('a', 1025))).Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void WithTag_and_WithDigest_validate_and_keep_the_repository()
    {
        var reference = ImageReference.Parse("ghcr.io/org/tool:v1");
        var digest = Digest.Parse("sha256:" + Hex);

        Assert.Equal("ghcr.io/org/tool:v2", reference.WithTag("v2").ToString());
        Assert.Equal($"ghcr.io/org/tool:v1@sha256:{Hex}", reference.WithDigest(digest).ToString());
        Assert.Equal("sha256:" + Hex, reference.WithDigest(digest).Identifier);
        Assert.Equal("v1", reference.Identifier);
        Assert.Throws<ReferenceFormatException>(() => reference.WithTag("v 2"));
        Assert.Throws<ArgumentException>(() => reference.WithDigest(default));
    }

    [Fact]
    public void Digest_verifies_content_and_supports_sha512()
    {
        var content = "hello"u8.ToArray();
        var digest = Digest.Sha256(content);

        Assert.Equal("sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824", digest.ToString());
        using var hash = digest.CreateHash();
        hash.AppendData(content);
        Assert.Equal(digest, Digest.FromHash("sha256", hash.GetHashAndReset()));
        Assert.Equal("sha512", Digest.Parse("sha512:" + Hex + Hex).Algorithm);
        Assert.Throws<ReferenceFormatException>(() => Digest.Parse("sha512:" + Hex));
    }
}
