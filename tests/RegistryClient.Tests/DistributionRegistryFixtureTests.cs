using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using CvmfsImages.TestSupport;
using Xunit;

namespace CvmfsImages.Tests.RegistryClient;

/// <summary>The foundation's registry fixture, exercised over plain HTTP without the client under test.</summary>
public sealed class DistributionRegistryFixtureTests
{
    [Fact]
    public async Task V2_endpoint_answers_with_the_distribution_api_header()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var registry = await DistributionRegistry.StartAsync(cancellationToken: ct);
        using var http = new HttpClient();

        using var response = await http.GetAsync(new Uri(registry.BaseUri, "/v2/"), ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("registry/2.0", Assert.Single(response.Headers.GetValues("Docker-Distribution-Api-Version")));
    }

    [Fact]
    public async Task A_pushed_blob_reads_back_byte_for_byte_and_a_wrong_digest_is_refused()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var registry = await DistributionRegistry.StartAsync(cancellationToken: ct);
        using var http = new HttpClient();
        var content = RandomNumberGenerator.GetBytes(64 * 1024);
        var digest = "sha256:" + Convert.ToHexStringLower(SHA256.HashData(content));

        // Monolithic upload: POST opens a session, PUT with ?digest= closes it.
        var upload = await OpenUploadAsync(http, registry, ct);
        using (var put = new ByteArrayContent(content))
        {
            put.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
            using var closed = await http.PutAsync(WithDigest(upload, digest), put, ct);
            Assert.Equal(HttpStatusCode.Created, closed.StatusCode);
        }

        var back = await http.GetByteArrayAsync(new Uri(registry.BaseUri, $"/v2/test/fixture/blobs/{digest}"), ct);
        Assert.Equal(content, back);

        // The registry verifies what it stores: a digest that does not match the bytes is refused.
        var wrong = "sha256:" + new string('0', 64);
        var second = await OpenUploadAsync(http, registry, ct);
        using var body = new ByteArrayContent(content);
        using var refused = await http.PutAsync(WithDigest(second, wrong), body, ct);
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Contains("DIGEST_INVALID", await refused.Content.ReadAsStringAsync(ct), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Dispose_stops_the_registry_process()
    {
        var ct = TestContext.Current.CancellationToken;
        var registry = await DistributionRegistry.StartAsync(cancellationToken: ct);
        var uri = new Uri(registry.BaseUri, "/v2/");
        var storage = registry.StorageDirectory;

        await registry.DisposeAsync();

        using var http = new HttpClient();
        await Assert.ThrowsAsync<HttpRequestException>(() => http.GetAsync(uri, ct));
        Assert.False(Directory.Exists(storage));
    }

    private static async Task<Uri> OpenUploadAsync(HttpClient http, DistributionRegistry registry, CancellationToken ct)
    {
        using var response = await http.PostAsync(new Uri(registry.BaseUri, "/v2/test/fixture/blobs/uploads/"), null, ct);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var location = response.Headers.Location ?? throw new InvalidOperationException("no Location on upload");
        return location.IsAbsoluteUri ? location : new Uri(registry.BaseUri, location);
    }

    private static Uri WithDigest(Uri upload, string digest)
    {
        var separator = string.IsNullOrEmpty(upload.Query) ? "?" : "&";
        return new Uri(upload + separator + "digest=" + Uri.EscapeDataString(digest));
    }
}
