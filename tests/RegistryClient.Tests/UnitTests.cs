using CvmfsImages.Registry;
using CvmfsImages.Registry.Transport;
using Xunit;

namespace CvmfsImages.Tests.RegistryClient;

/// <summary>The pure parts: platforms, tag globs, Retry-After, challenges, credentials keys, host rules, options.</summary>
public sealed class UnitTests
{
    [Theory]
    [InlineData("linux/amd64", "linux", "amd64", null)]
    [InlineData("linux/arm64/v8", "linux", "arm64", "v8")]
    [InlineData("windows/amd64", "windows", "amd64", null)]
    public void Platform_parses_and_round_trips(string text, string os, string arch, string? variant)
    {
        var platform = Platform.Parse(text);
        Assert.Equal(new Platform(os, arch, variant), platform);
        Assert.Equal(text, platform.ToString());
    }

    [Theory]
    [InlineData("")]
    [InlineData("linux")]
    [InlineData("linux/")]
    [InlineData("linux/amd64/v1/x")]
    [InlineData("Linux/AMD64")]
    [InlineData("linux/amd 64")]
    public void Platform_refuses_malformed_text_quoting_it(string text)
    {
        var ex = Assert.Throws<FormatException>(() => Platform.Parse(text));
        Assert.Contains($"'{text}'", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("linux/amd64", "linux/amd64", true)]
    [InlineData("linux/arm64", "linux/arm64/v8", true)]
    [InlineData("linux/arm64/v8", "linux/arm64", true)]
    [InlineData("linux/arm/v7", "linux/arm/v6", false)]
    [InlineData("linux/amd64", "linux/arm64", false)]
    [InlineData("linux/amd64", "windows/amd64", false)]
    public void Platform_accepts_by_os_architecture_and_variant(string wanted, string offered, bool accepted) =>
        Assert.Equal(accepted, Platform.Parse(wanted).Accepts(Platform.Parse(offered)));

    [Fact]
    public void Index_selection_prefers_the_exact_variant_and_skips_attestations_and_unknown_types()
    {
        static Descriptor Entry(string platform, string mediaType = MediaTypes.OciManifest, char fill = 'a') =>
            new(mediaType, Registry.Names.Digest.Parse("sha256:" + new string(fill, 64)), 100) { Platform = Platform.Parse(platform) };
        var v6 = Entry("linux/arm/v6", fill: '1');
        var v7 = Entry("linux/arm/v7", fill: '2');
        var attestation = Entry("unknown/unknown", fill: '3');
        var foreign = Entry("linux/amd64", "application/vnd.example.other", '4');
        var amd = Entry("linux/amd64", fill: '5');
        IReadOnlyList<Descriptor> index = [attestation, foreign, v6, v7, amd];

        Assert.Same(v7, Registry.RegistryClient.SelectPlatform(index, Platform.Parse("linux/arm/v7")));
        Assert.Same(v6, Registry.RegistryClient.SelectPlatform(index, Platform.Parse("linux/arm")));
        Assert.Same(amd, Registry.RegistryClient.SelectPlatform(index, Platform.LinuxAmd64));
        Assert.Null(Registry.RegistryClient.SelectPlatform(index, Platform.Parse("linux/s390x")));
    }

    [Theory]
    [InlineData("*", "anything", true)]
    [InlineData("*", "", true)]
    [InlineData("3.*", "3.12", true)]
    [InlineData("3.*", "13.1", false)]
    [InlineData("v?.?", "v1.2", true)]
    [InlineData("v?.?", "v1.22", false)]
    [InlineData("[0-9]*-slim", "12-slim", true)]
    [InlineData("[0-9]*-slim", "x12-slim", false)]
    [InlineData("[!a-z]*", "1abc", true)]
    [InlineData("[!a-z]*", "abc", false)]
    [InlineData("[^a-z]*", "abc", false)]
    [InlineData("a*b*c", "aXXbYYc", true)]
    [InlineData("a*b*c", "aXXbYY", false)]
    [InlineData("latest", "latest", true)]
    [InlineData("latest", "Latest", false)]
    [InlineData("[]x]", "]", true)]
    public void TagGlob_matches_whole_tags(string pattern, string tag, bool matches) =>
        Assert.Equal(matches, TagGlob.IsMatch(pattern, tag));

    [Fact]
    public void TagGlob_detects_wildcards_and_refuses_unclosed_classes()
    {
        Assert.True(TagGlob.IsGlob("3.*"));
        Assert.True(TagGlob.IsGlob("v[12]"));
        Assert.False(TagGlob.IsGlob("3.12-slim"));
        var ex = Assert.Throws<FormatException>(() => TagGlob.IsMatch("v[12", "v1"));
        Assert.Contains("'v[12'", ex.Message, StringComparison.Ordinal);
        Assert.Throws<FormatException>(() => TagGlob.Validate("[]"));
    }

    [Fact]
    public void TagGlob_is_not_exponential_on_adversarial_patterns()
    {
        var pattern = string.Concat(Enumerable.Repeat("*a", 50)) + "b";
        var tag = new string('a', 128);
        Assert.False(TagGlob.IsMatch(pattern, tag)); // returns at once with the single-star backtracking matcher
    }

    [Theory]
    [InlineData("120", 120)]
    [InlineData(" 0 ", 0)]
    [InlineData("Wed, 01 Jan 2025 00:01:00 GMT", 60)]
    [InlineData("Tue, 31 Dec 2024 23:00:00 GMT", 0)] // in the past: no wait
    [InlineData("1735689690", 90)] // epoch seconds: 2025-01-01T00:01:30Z
    [InlineData("1000000000", 0)] // an epoch long past
    public void Retry_after_reads_seconds_http_dates_and_epoch_timestamps(string value, double seconds)
    {
        var now = new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero);
        Assert.Equal(TimeSpan.FromSeconds(seconds), RetryAfter.Parse(value, now));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("soon")]
    [InlineData("-5")]
    [InlineData("99999999999999999999")]
    public void Retry_after_ignores_what_it_cannot_read(string? value) =>
        Assert.Null(RetryAfter.Parse(value, DateTimeOffset.UnixEpoch));

    [Fact]
    public void Challenge_parameters_are_parsed_with_quotes_and_escapes()
    {
        var parameters = AuthChallenge.ParseParameters("""realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/ubuntu:pull,push",error=insufficient_scope,x="a\"b" """);
        Assert.Equal("https://auth.docker.io/token", parameters["realm"]);
        Assert.Equal("registry.docker.io", parameters["Service"]);
        Assert.Equal("repository:library/ubuntu:pull,push", parameters["scope"]);
        Assert.Equal("insufficient_scope", parameters["error"]);
        Assert.Equal("a\"b", parameters["x"]);
    }

    [Theory]
    [InlineData("https://index.docker.io/v1/", "docker.io")]
    [InlineData("registry-1.docker.io", "docker.io")]
    [InlineData("ghcr.io", "ghcr.io")]
    [InlineData("https://GHCR.io", "ghcr.io")]
    [InlineData("http://127.0.0.1:5000/v2/", "127.0.0.1:5000")]
    public void Docker_config_keys_are_normalised_to_registry_names(string key, string registry) =>
        Assert.Equal(registry, CredentialStore.Normalize(key));

    [Theory]
    [InlineData("docker.io", false, "https://registry-1.docker.io/")]
    [InlineData("ghcr.io", false, "https://ghcr.io/")]
    [InlineData("registry.example.org:5000", true, "http://registry.example.org:5000/")]
    [InlineData("127.0.0.1:5000", false, "http://127.0.0.1:5000/")]
    [InlineData("localhost:5000", false, "http://localhost:5000/")]
    [InlineData("[::1]:5000", false, "http://[::1]:5000/")]
    public void Plain_http_only_for_loopback_or_insecure_registries(string registry, bool insecure, string baseUri) =>
        Assert.Equal(baseUri, HostRules.BaseUri(registry, insecure).ToString());

    [Fact]
    public void Credentials_never_print_their_secret()
    {
        var credentials = new Credentials("alice", "s3cret");
        Assert.DoesNotContain("s3cret", credentials.ToString(), StringComparison.Ordinal);
    }

    public static TheoryData<Action<RegistryClientOptions>, string> BadOptions => new()
    {
        { o => o.MaxRetries = -1, "Registry:MaxRetries" },
        { o => o.MaxRetries = 100, "Registry:MaxRetries" },
        { o => o.MaxConcurrentRequestsPerRegistry = 0, "Registry:MaxConcurrentRequestsPerRegistry" },
        { o => o.RequestTimeout = TimeSpan.Zero, "Registry:RequestTimeout" },
        { o => o.BlobCacheDirectory = "relative/cache", "Registry:BlobCacheDirectory" },
        { o => { o.BlobCacheDirectory = "/var/cache/x"; o.BlobCacheMaxBytes = 10; }, "Registry:BlobCacheMaxBytes" },
        { o => o.Hosts["not a host"] = new RegistryHostOptions(), "Registry:Hosts" },
        { o => o.Hosts["docker.io"] = new RegistryHostOptions { Password = "x" }, "Registry:Hosts:docker.io:Password" },
        { o => o.Hosts["docker.io"] = new RegistryHostOptions { Mirror = "ftp://mirror" }, "Registry:Hosts:docker.io:Mirror" },
        { o => o.Hosts["docker.io"] = new RegistryHostOptions { Mirror = "https://user:pw@mirror" }, "Registry:Hosts:docker.io:Mirror" },
    };

    [Theory]
    [MemberData(nameof(BadOptions))]
    public void Options_validation_names_the_bad_key(Action<RegistryClientOptions> configure, string key)
    {
        var options = new RegistryClientOptions();
        configure(options);
        var ex = Assert.Throws<ArgumentException>(options.Validate);
        Assert.StartsWith(key, ex.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => new Registry.RegistryClient(options));
    }

    [Fact]
    public void Default_options_are_valid()
    {
        var options = new RegistryClientOptions();
        options.Hosts["docker.io"] = new RegistryHostOptions { Mirror = "https://mirror.example.org" };
        options.Hosts["127.0.0.1:5000"] = new RegistryHostOptions { Username = "u", Password = "p", Insecure = true };
        options.Validate();
        Assert.Equal(8, options.MaxConcurrentRequestsPerRegistry);
        Assert.Equal(5, options.MaxRetries);
        Assert.Equal(TimeSpan.FromSeconds(100), options.RequestTimeout);
    }
}
