using System.Globalization;
using System.Net;
using System.Text;
using CvmfsImages.Registry;
using CvmfsImages.Registry.Names;
using CvmfsImages.TestSupport;
using CvmfsImages.TestSupport.Http;
using Xunit;

namespace CvmfsImages.Tests.RegistryClient;

/// <summary>What a real registry will not do on demand, from the fault-injecting <see cref="FakeHttpServer"/>.</summary>
public sealed class FaultInjectionTests
{
    private static readonly DateTimeOffset Start = new(2025, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly byte[] Manifest = Encoding.UTF8.GetBytes("""{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a","size":2},"layers":[]}""");
    private static readonly Digest ManifestDigest = Digest.Sha256(Manifest);

    public static TheoryData<string, double> RetryAfterForms => new()
    {
        { "7", 7 },
        { "Wed, 01 Jan 2025 00:00:30 GMT", 30 },
        { Start.AddSeconds(45).ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture), 45 },
    };

    [Theory]
    [MemberData(nameof(RetryAfterForms))]
    public async Task Too_many_requests_waits_as_Retry_After_says_in_each_form(string retryAfter, double seconds)
    {
        var ct = TestContext.Current.CancellationToken;
        var calls = 0;
        await using var server = FakeHttpServer.Start(r => Interlocked.Increment(ref calls) == 1
            ? FakeResponse.Error(429, "TOOMANYREQUESTS", "slow down").With("Retry-After", retryAfter)
            : ManifestResponse(r));
        var time = new ImmediateTimeProvider(Start);
        using var client = Clients.Create(time: time);

        var digest = await client.ResolveDigestAsync(Reference(server), ct);

        Assert.Equal(ManifestDigest, digest);
        Assert.Equal(2, calls);
        Assert.Equal([TimeSpan.FromSeconds(seconds)], time.Delays);
    }

    [Fact]
    public async Task Service_unavailable_is_retried_with_growing_jittered_backoff_then_succeeds()
    {
        var ct = TestContext.Current.CancellationToken;
        var calls = 0;
        await using var server = FakeHttpServer.Start(r => Interlocked.Increment(ref calls) <= 3 ? new FakeResponse(503) : ManifestResponse(r));
        var time = new ImmediateTimeProvider(Start);
        using var client = Clients.Create(o => o.RetryBaseDelay = TimeSpan.FromSeconds(1), time);

        var manifest = await client.GetManifestAsync(Reference(server), ct);

        Assert.Equal(ManifestDigest, manifest.Digest);
        var delays = time.Delays.ToArray();
        Assert.Equal(3, delays.Length);
        for (var i = 0; i < 3; i++)
        {
            var full = TimeSpan.FromSeconds(Math.Pow(2, i));
            Assert.InRange(delays[i], full / 2, full);
        }
    }

    [Fact]
    public async Task Retries_are_bounded_and_the_last_failure_is_reported_as_transient()
    {
        var ct = TestContext.Current.CancellationToken;
        var calls = 0;
        await using var server = FakeHttpServer.Start(_ =>
        {
            Interlocked.Increment(ref calls);
            return FakeResponse.Error(500, "UNKNOWN", "boom");
        });
        using var client = Clients.Create(o => o.MaxRetries = 2, new ImmediateTimeProvider(Start));

        var ex = await Assert.ThrowsAsync<RegistryException>(() => client.GetManifestAsync(Reference(server), ct));

        Assert.Equal(3, calls);
        Assert.Equal(HttpStatusCode.InternalServerError, ex.Status);
        Assert.True(ex.IsTransient);
        Assert.True(ex.HasErrorCode("UNKNOWN"));
    }

    [Fact]
    public async Task Errors_that_are_not_transient_are_not_retried_and_long_Retry_After_is_reported_not_waited()
    {
        var ct = TestContext.Current.CancellationToken;
        var calls = 0;
        var status = 404;
        await using var server = FakeHttpServer.Start(_ =>
        {
            Interlocked.Increment(ref calls);
            return status == 404
                ? FakeResponse.Error(404, "MANIFEST_UNKNOWN", "manifest unknown")
                : FakeResponse.Error(429, "TOOMANYREQUESTS", "pull rate limit").With("Retry-After", "7200");
        });
        var time = new ImmediateTimeProvider(Start);
        using var client = Clients.Create(o => o.MaxRetryDelay = TimeSpan.FromMinutes(1), time);

        var notFound = await Assert.ThrowsAsync<RegistryException>(() => client.GetManifestAsync(Reference(server), ct));
        Assert.Equal(1, calls);
        Assert.False(notFound.IsTransient);

        status = 429;
        var limited = await Assert.ThrowsAsync<RegistryException>(() => client.GetManifestAsync(Reference(server), ct));
        Assert.Equal(2, calls);
        Assert.True(limited.IsTransient);
        Assert.True(limited.HasErrorCode("TOOMANYREQUESTS"));
        Assert.Equal(TimeSpan.FromHours(2), limited.RetryAfter);
        Assert.Contains("wait 7200 s", limited.Message, StringComparison.Ordinal);
        Assert.Empty(time.Delays);
    }

    [Fact]
    public async Task Refused_connections_are_retried_then_reported_as_transient()
    {
        var ct = TestContext.Current.CancellationToken;
        string authority;
        await using (var closed = FakeHttpServer.Start(_ => new FakeResponse(200)))
        {
            authority = closed.Authority;
        }

        var time = new ImmediateTimeProvider(Start);
        using var client = Clients.Create(
            o =>
            {
                o.MaxRetries = 2;
                o.RetryBaseDelay = TimeSpan.FromSeconds(1);
            },
            time);
        var ex = await Assert.ThrowsAsync<RegistryException>(() => client.GetManifestAsync(ImageReference.Parse($"{authority}/gone/image:1"), ct));

        Assert.True(ex.IsTransient);
        Assert.Null(ex.Status);
        Assert.IsType<HttpRequestException>(ex.InnerException);
        Assert.Equal(2, time.Delays.Count);
    }

    [Fact]
    public async Task A_host_name_that_does_not_resolve_fails_at_once_without_retries()
    {
        var ct = TestContext.Current.CancellationToken;
        const string host = "registry.example.invalid"; // RFC 6761: never resolves
        try
        {
            await Dns.GetHostAddressesAsync(host, ct);
            Assert.Fail($"{host} resolved: this machine's resolver breaks RFC 6761");
        }
        catch (System.Net.Sockets.SocketException e) when (e.SocketErrorCode != System.Net.Sockets.SocketError.HostNotFound)
        {
            Assert.Skip($"the resolver gives {e.SocketErrorCode} for {host}, not 'host not found' (no DNS configured?): nothing to test here");
        }
        catch (System.Net.Sockets.SocketException)
        {
        }

        var time = new ImmediateTimeProvider(Start);
        using var client = Clients.Create(
            o =>
            {
                o.MaxRetries = 3;
                o.RetryBaseDelay = TimeSpan.FromSeconds(1);
            },
            time);
        var ex = await Assert.ThrowsAsync<RegistryException>(() => client.GetManifestAsync(ImageReference.Parse($"{host}/some/image:1"), ct));

        Assert.Empty(time.Delays); // one attempt, no backoff
        Assert.Contains(host, ex.Message, StringComparison.Ordinal);
        Assert.Contains("does not resolve; not retried", ex.Message, StringComparison.Ordinal);
        Assert.True(ex.IsTransient, "still an outage to callers (a DNS answer, not the registry's), so they may try again later");
        Assert.Null(ex.Status);
        var inner = Assert.IsType<HttpRequestException>(ex.InnerException);
        Assert.Equal(HttpRequestError.NameResolutionError, inner.HttpRequestError);
    }

    [Theory]
    [InlineData(System.Net.Sockets.SocketError.HostNotFound, true)]
    [InlineData(System.Net.Sockets.SocketError.NoData, true)]
    [InlineData(System.Net.Sockets.SocketError.TryAgain, false)]       // a temporary DNS failure is retried
    [InlineData(System.Net.Sockets.SocketError.ConnectionRefused, false)]
    public void Only_a_name_that_does_not_exist_is_not_retried(System.Net.Sockets.SocketError error, bool unresolved)
    {
        var kind = error is System.Net.Sockets.SocketError.ConnectionRefused ? HttpRequestError.ConnectionError : HttpRequestError.NameResolutionError;
        var ex = new HttpRequestException(kind, "failed", new System.Net.Sockets.SocketException((int)error));

        Assert.Equal(unresolved, Registry.Transport.RetryHandler.IsUnresolvedHost(ex));
        Assert.True(Registry.Transport.RetryHandler.IsTransient(ex));
    }

    [Fact]
    public async Task A_server_that_never_answers_times_out_each_attempt_and_is_reported_as_transient()
    {
        var ct = TestContext.Current.CancellationToken;
        var calls = 0;
        await using var server = FakeHttpServer.Start(r => Interlocked.Increment(ref calls) <= 2 ? new FakeResponse(200) { Hang = true } : ManifestResponse(r));
        using var client = Clients.Create(
            o =>
            {
                o.RequestTimeout = TimeSpan.FromSeconds(1);
                o.MaxRetries = 1;
            },
            new ImmediateTimeProvider(Start));

        var ex = await Assert.ThrowsAsync<RegistryException>(() => client.GetManifestAsync(Reference(server), ct));
        Assert.True(ex.IsTransient);
        Assert.Contains("no response within 1 s (after 2 attempts)", ex.Message, StringComparison.Ordinal);

        Assert.Equal(ManifestDigest, (await client.GetManifestAsync(Reference(server), ct)).Digest); // the third answers
    }

    [Fact]
    public async Task A_dropped_blob_download_resumes_with_a_Range_request()
    {
        var ct = TestContext.Current.CancellationToken;
        var blob = RandomBytes(300_000);
        var gets = 0;
        await using var server = FakeHttpServer.Start(r =>
        {
            if (Interlocked.Increment(ref gets) == 1)
            {
                return new FakeResponse(200, blob) { DropAfterBytes = 100_000 };
            }

            return RangeResponse(blob, r);
        });
        using var cache = new TempDirectory("cache");
        using var client = Clients.Create(o => o.BlobCacheDirectory = cache.Path);

        var read = await RoundTripTests.ReadAllAsync(client, Repository(server), Descriptor(blob), ct);

        Assert.Equal(blob, read);
        var requests = server.Requests.ToArray();
        Assert.Equal(2, requests.Length);
        Assert.Null(requests[0].Header("Range"));
        var resumedAt = long.Parse(requests[1].Header("Range")!["bytes=".Length..].TrimEnd('-'), CultureInfo.InvariantCulture);
        Assert.InRange(resumedAt, 1, 100_000);
        Assert.True(File.Exists(Path.Combine(cache.Path, "blobs", "sha256", Digest.Sha256(blob).Hex)));
    }

    [Fact]
    public async Task A_stalled_blob_download_times_out_and_resumes()
    {
        var ct = TestContext.Current.CancellationToken;
        var blob = RandomBytes(100_000);
        var gets = 0;
        await using var server = FakeHttpServer.Start(r => Interlocked.Increment(ref gets) == 1
            ? new FakeResponse(200, blob) { StallAfterBytes = 30_000 }
            : RangeResponse(blob, r));
        using var client = Clients.Create(o => o.RequestTimeout = TimeSpan.FromSeconds(1));

        Assert.Equal(blob, await RoundTripTests.ReadAllAsync(client, Repository(server), Descriptor(blob), ct));
        Assert.Equal(2, gets);
        Assert.StartsWith("bytes=", server.Requests.Last().Header("Range"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_server_ignoring_Range_is_read_again_from_the_start()
    {
        var ct = TestContext.Current.CancellationToken;
        var blob = RandomBytes(200_000);
        var gets = 0;
        await using var server = FakeHttpServer.Start(_ => Interlocked.Increment(ref gets) == 1
            ? new FakeResponse(200, blob) { DropAfterBytes = 50_000 }
            : new FakeResponse(200, blob));
        using var client = Clients.Create();

        Assert.Equal(blob, await RoundTripTests.ReadAllAsync(client, Repository(server), Descriptor(blob), ct));
        Assert.Equal(2, gets);
    }

    [Fact]
    public async Task A_blob_truncated_on_every_attempt_fails_and_leaves_nothing_in_the_cache()
    {
        var ct = TestContext.Current.CancellationToken;
        var blob = RandomBytes(100_000);
        await using var server = FakeHttpServer.Start(_ => new FakeResponse(200, blob) { DropAfterBytes = 60_000 });
        using var cache = new TempDirectory("cache");
        using var client = Clients.Create(o =>
        {
            o.BlobCacheDirectory = cache.Path;
            o.MaxRetries = 2;
        });

        var ex = await Assert.ThrowsAsync<RegistryException>(() => RoundTripTests.ReadAllAsync(client, Repository(server), Descriptor(blob), ct));

        Assert.True(ex.IsTransient);
        Assert.Contains("after 2 resumed attempts", ex.Message, StringComparison.Ordinal);
        Assert.Equal(3, server.Requests.Count);
        AssertCacheEmpty(cache);
    }

    [Fact]
    public async Task A_blob_shorter_than_its_descriptor_is_a_size_mismatch()
    {
        var ct = TestContext.Current.CancellationToken;
        var blob = RandomBytes(10_000);
        // Like Distribution: the short body in full, and 416 for a range that starts at its end.
        await using var server = FakeHttpServer.Start(r => r.Header("Range") is null ? new FakeResponse(200, blob[..9_000]) : new FakeResponse(416));
        using var cache = new TempDirectory("cache");
        using var client = Clients.Create(o =>
        {
            o.BlobCacheDirectory = cache.Path;
            o.MaxRetries = 1;
        });

        var ex = await Assert.ThrowsAsync<DigestMismatchException>(() => RoundTripTests.ReadAllAsync(client, Repository(server), Descriptor(blob), ct));

        Assert.Equal(10_000, ex.ExpectedSize);
        Assert.Equal(9_000, ex.ActualSize);
        Assert.Null(ex.Actual);
        Assert.Equal(2, server.Requests.Count);
        AssertCacheEmpty(cache);
    }

    [Fact]
    public async Task A_blob_with_the_wrong_digest_or_too_many_bytes_fails_and_is_not_cached()
    {
        var ct = TestContext.Current.CancellationToken;
        var blob = RandomBytes(50_000);
        var wrong = RandomBytes(50_000, seed: 99);
        var longer = false;
        await using var server = FakeHttpServer.Start(_ => new FakeResponse(200, longer ? [.. blob, 1] : wrong));
        using var cache = new TempDirectory("cache");
        using var client = Clients.Create(o => o.BlobCacheDirectory = cache.Path);

        var ex = await Assert.ThrowsAsync<DigestMismatchException>(() => RoundTripTests.ReadAllAsync(client, Repository(server), Descriptor(blob), ct));
        Assert.Equal(Digest.Sha256(blob), ex.Expected);
        Assert.Equal(Digest.Sha256(wrong), ex.Actual);
        Assert.Contains(Digest.Sha256(blob).ToString(), ex.Message, StringComparison.Ordinal);
        AssertCacheEmpty(cache);

        longer = true;
        var tooLong = await Assert.ThrowsAsync<DigestMismatchException>(() => RoundTripTests.ReadAllAsync(client, Repository(server), Descriptor(blob), ct));
        Assert.Equal(blob.Length + 1, tooLong.ActualSize);
        AssertCacheEmpty(cache);
    }

    [Fact]
    public async Task A_redirect_to_another_host_does_not_carry_the_registry_credentials()
    {
        var ct = TestContext.Current.CancellationToken;
        var blob = RandomBytes(20_000);
        await using var store = FakeHttpServer.Start(_ => new FakeResponse(200, blob), "127.0.0.2");
        await using var registry = FakeHttpServer.Start(r => r.Header("Authorization") is null
            ? FakeResponse.Error(401, "UNAUTHORIZED", "authentication required").With("WWW-Authenticate", "Basic realm=\"fake\"")
            : new FakeResponse(307).With("Location", new Uri(store.BaseUri, "bucket/blob?X-Signature=abc").ToString()));
        using var client = Clients.Create(o => o.Hosts[registry.Authority] = new RegistryHostOptions { Username = "bob", Password = "hunter2" });

        Assert.Equal(blob, await RoundTripTests.ReadAllAsync(client, Repository(registry), Descriptor(blob), ct));

        Assert.StartsWith("Basic ", registry.Requests.Last().Header("Authorization"), StringComparison.Ordinal);
        var fetched = Assert.Single(store.Requests);
        Assert.Equal("/bucket/blob?X-Signature=abc", fetched.Target);
        Assert.Null(fetched.Header("Authorization"));
    }

    [Fact]
    public async Task Plain_http_to_a_host_that_is_neither_loopback_nor_insecure_is_refused_before_sending()
    {
        var ct = TestContext.Current.CancellationToken;
        var blob = RandomBytes(1_000);
        await using var registry = FakeHttpServer.Start(r => r.Path.Contains("/blobs/", StringComparison.Ordinal)
            ? new FakeResponse(307).With("Location", "http://objects.example.invalid/blob")
            : FakeResponse.Error(401, "UNAUTHORIZED", "token required").With("WWW-Authenticate", "Bearer realm=\"http://auth.example.invalid/token\",service=\"x\""));
        using var client = Clients.Create(o => o.MaxRetries = 0);

        var redirect = await Assert.ThrowsAsync<RegistryException>(() => RoundTripTests.ReadAllAsync(client, Repository(registry), Descriptor(blob), ct));
        Assert.Contains("refusing plain HTTP to objects.example.invalid", redirect.Message, StringComparison.Ordinal);

        var realm = await Assert.ThrowsAsync<RegistryException>(() => client.GetManifestAsync(Reference(registry), ct));
        Assert.Contains("plain-HTTP realm http://auth.example.invalid/token; refused", realm.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Tags_are_followed_across_pages_by_the_Link_header()
    {
        var ct = TestContext.Current.CancellationToken;
        var all = Enumerable.Range(0, 7).Select(i => $"v{i}").ToList();
        await using var server = FakeHttpServer.Start(r =>
        {
            var query = r.Query.Split('&').Select(p => p.Split('=')).ToDictionary(p => p[0], p => p[1]);
            var n = int.Parse(query["n"], CultureInfo.InvariantCulture);
            var after = query.TryGetValue("last", out var last) ? all.IndexOf(last) + 1 : 0;
            var page = all.Skip(after).Take(n).ToList();
            var response = FakeResponse.Text(200, $"{{\"name\":\"ns/repo\",\"tags\":[{string.Join(',', page.Select(t => $"\"{t}\""))}]}}");
            if (after + n < all.Count)
            {
                response.With("Link", $"</v2/ns/repo/tags/list?last={page[^1]}&n={n}>; rel=\"next\"");
            }

            return response;
        });
        using var client = Clients.Create(o => o.TagPageSize = 3);

        var tags = await client.ListTagsAsync(RepositoryName.Parse($"{server.Authority}/ns/repo"), ct);

        Assert.Equal(all, tags);
        Assert.Equal(["n=3", "last=v2&n=3", "last=v5&n=3"], server.Requests.Select(r => r.Query));
    }

    [Fact]
    public async Task Schema_1_and_unknown_manifest_media_types_are_refused_by_name()
    {
        var ct = TestContext.Current.CancellationToken;
        var mediaType = MediaTypes.DockerManifestSchema1Signed;
        await using var server = FakeHttpServer.Start(_ => FakeResponse.Text(200, mediaType == MediaTypes.DockerManifestSchema1Signed
            ? """{"schemaVersion":1,"name":"x","tag":"1","fsLayers":[]}"""
            : """{"schemaVersion":2,"mediaType":"application/vnd.example.thing+json"}""").With("Content-Type", mediaType));
        using var client = Clients.Create();

        var schema1 = await Assert.ThrowsAsync<RegistryException>(() => client.GetManifestAsync(Reference(server), ct));
        Assert.Contains("schema 1", schema1.Message, StringComparison.Ordinal);
        Assert.Contains(MediaTypes.DockerManifestSchema1Signed, schema1.Message, StringComparison.Ordinal);

        mediaType = "application/vnd.example.thing+json";
        var unknown = await Assert.ThrowsAsync<RegistryException>(() => client.GetManifestAsync(Reference(server), ct));
        Assert.Contains("unsupported manifest media type 'application/vnd.example.thing+json'", unknown.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Manifests_that_do_not_match_their_digest_are_refused()
    {
        var ct = TestContext.Current.CancellationToken;
        var claimed = Digest.Sha256("other"u8);
        await using var server = FakeHttpServer.Start(r => ManifestResponse(r).With("Docker-Content-Digest", claimed.ToString()));
        using var client = Clients.Create();

        var byTag = await Assert.ThrowsAsync<DigestMismatchException>(() => client.GetManifestAsync(Reference(server), ct));
        Assert.Equal(ManifestDigest, byTag.Actual);

        var pinned = ImageReference.Parse($"{server.Authority}/ns/image@{claimed}");
        var byDigest = await Assert.ThrowsAsync<DigestMismatchException>(() => client.GetManifestAsync(pinned, ct));
        Assert.Equal(claimed, byDigest.Expected);
        Assert.Equal(ManifestDigest, byDigest.Actual);
    }

    [Fact]
    public async Task Accept_header_lists_OCI_and_Docker_types_and_HEAD_is_used_for_digests()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = FakeHttpServer.Start(ManifestResponse);
        using var client = Clients.Create();

        await client.ResolveDigestAsync(Reference(server), ct);

        var head = Assert.Single(server.Requests);
        Assert.Equal("HEAD", head.Method);
        foreach (var mediaType in new[] { MediaTypes.OciIndex, MediaTypes.OciManifest, MediaTypes.DockerManifestList, MediaTypes.DockerManifest })
        {
            Assert.Contains(mediaType, head.Header("Accept"), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task A_failing_mirror_falls_back_to_the_origin_and_a_working_one_is_used_alone()
    {
        var ct = TestContext.Current.CancellationToken;
        var mirrorUp = false;
        await using var origin = FakeHttpServer.Start(ManifestResponse);
        await using var mirror = FakeHttpServer.Start(r => mirrorUp ? ManifestResponse(r) : new FakeResponse(503), "127.0.0.3");
        using var client = Clients.Create(o =>
        {
            o.MaxRetries = 0;
            o.Hosts[origin.Authority] = new RegistryHostOptions { Mirror = mirror.BaseUri.ToString() };
        });

        Assert.Equal(ManifestDigest, (await client.GetManifestAsync(Reference(origin), ct)).Digest);
        Assert.Single(mirror.Requests);
        Assert.Single(origin.Requests);

        mirrorUp = true;
        Assert.Equal(ManifestDigest, (await client.GetManifestAsync(Reference(origin), ct)).Digest);
        Assert.Equal(2, mirror.Requests.Count);
        Assert.Single(origin.Requests);
    }

    [Fact]
    public async Task Without_Docker_Content_Digest_the_digest_comes_from_a_GET_of_the_manifest()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = FakeHttpServer.Start(_ => new FakeResponse(200, Manifest).With("Content-Type", MediaTypes.OciManifest));
        using var client = Clients.Create();

        Assert.Equal(ManifestDigest, await client.ResolveDigestAsync(Reference(server), ct));
        Assert.Equal(["HEAD", "GET"], server.Requests.Select(r => r.Method));
    }

    [Fact]
    public async Task A_token_the_registry_stops_accepting_is_replaced_on_the_401()
    {
        var ct = TestContext.Current.CancellationToken;
        var issued = 0;
        await using var tokens = FakeHttpServer.Start(_ =>
            FakeResponse.Text(200, $"{{\"token\":\"token-{Interlocked.Increment(ref issued)}\",\"expires_in\":300}}"));
        var accepted = "token-1";
        await using var registry = FakeHttpServer.Start(r => r.Header("Authorization") == $"Bearer {accepted}"
            ? ManifestResponse(r)
            : FakeResponse.Error(401, "UNAUTHORIZED", "authentication required")
                .With("WWW-Authenticate", $"Bearer realm=\"{tokens.BaseUri}token\",service=\"fake\",scope=\"repository:ns/image:pull\""));
        using var client = Clients.Create();

        await client.GetManifestAsync(Reference(registry), ct);
        await client.GetManifestAsync(Reference(registry), ct);
        Assert.Equal(1, issued);

        accepted = "token-2"; // the registry revokes token-1
        await client.GetManifestAsync(Reference(registry), ct);
        Assert.Equal(2, issued);
        var tokenRequest = tokens.Requests.First();
        Assert.Contains("service=fake", tokenRequest.Query, StringComparison.Ordinal);
        Assert.Contains("scope=repository%3Ans%2Fimage%3Apull", tokenRequest.Query, StringComparison.Ordinal);
        Assert.Null(tokenRequest.Header("Authorization")); // anonymous: no credentials configured
    }

    [Fact]
    public async Task Requests_to_one_registry_are_limited_in_number_at_once()
    {
        var ct = TestContext.Current.CancellationToken;
        var inFlight = 0;
        var most = 0;
        await using var server = FakeHttpServer.Start(r =>
        {
            var now = Interlocked.Increment(ref inFlight);
            InterlockedMax(ref most, now);
            Thread.Sleep(300); // holds the request so that others pile up; the assertion does not depend on timing
            Interlocked.Decrement(ref inFlight);
            return ManifestResponse(r);
        });
        using var client = Clients.Create(o => o.MaxConcurrentRequestsPerRegistry = 2);

        await Task.WhenAll(Enumerable.Range(0, 6).Select(_ => client.ResolveDigestAsync(Reference(server), ct)));

        Assert.InRange(most, 1, 2);
        Assert.Equal(6, server.Requests.Count);
    }

    private static void InterlockedMax(ref int target, int value)
    {
        int current;
        while ((current = Volatile.Read(ref target)) < value && Interlocked.CompareExchange(ref target, value, current) != current)
        {
        }
    }

    // 206 for "Range: bytes=N-".
    private static FakeResponse RangeResponse(byte[] blob, FakeRequest request)
    {
        var from = int.Parse(request.Header("Range")!["bytes=".Length..].TrimEnd('-'), CultureInfo.InvariantCulture);
        return new FakeResponse(206, blob[from..]).With("Content-Range", $"bytes {from}-{blob.Length - 1}/{blob.Length}");
    }

    private static FakeResponse ManifestResponse(FakeRequest request) =>
        new FakeResponse(200, Manifest).With("Content-Type", MediaTypes.OciManifest).With("Docker-Content-Digest", ManifestDigest.ToString());

    private static ImageReference Reference(FakeHttpServer server) => ImageReference.Parse($"{server.Authority}/ns/image:1");

    private static RepositoryName Repository(FakeHttpServer server) => RepositoryName.Parse($"{server.Authority}/ns/blobs");

    private static Descriptor Descriptor(byte[] blob) => new(MediaTypes.OciLayer, Digest.Sha256(blob), blob.Length);

    private static byte[] RandomBytes(int size, int seed = 1)
    {
        var data = new byte[size];
        new Random(seed).NextBytes(data);
        return data;
    }

    private static void AssertCacheEmpty(TempDirectory cache)
    {
        Assert.Empty(Directory.GetFiles(Path.Combine(cache.Path, "tmp")));
        Assert.Empty(Directory.GetFiles(Path.Combine(cache.Path, "blobs"), "*", SearchOption.AllDirectories));
    }
}
