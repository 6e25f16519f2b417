using System.Net;
using System.Net.Http.Headers;
using CvmfsImages.Registry;
using CvmfsImages.Registry.Names;
using CvmfsImages.TestSupport;
using CvmfsImages.TestSupport.Images;
using Xunit;

namespace CvmfsImages.Tests.RegistryClient;

/// <summary>
/// The real registry over TLS (where Go's server offers HTTP/2), reached as an https mirror of a registry name: the
/// client speaks HTTP/2 there and multiplexes parallel requests on one connection; with <c>EnableHttp2</c> off it
/// speaks HTTP/1.1 and reuses at most <c>MaxConcurrentRequestsPerRegistry</c> kept-alive connections.
/// </summary>
public sealed class Http2Tests
{
    private const int Tags = 24;

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Parallel_HEADs_share_connections_over_HTTP2_where_offered_and_are_bounded_over_HTTP11(bool http2)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var registry = await DistributionRegistry.StartAsync(tls: true, cancellationToken: ct);
        var image = TestImage.Create().WithLayer(TestFile.Text("etc/hello", "over tls\n")).Build();
        await PushOverTlsAsync(registry, "h2/img", image, Enumerable.Range(0, Tags).Select(i => $"t{i}"), ct);

        var connections = 0;
        using var transport = registry.CreateTrustingHandler();
        transport.ConnectCallback = async (context, token) =>
        {
            Interlocked.Increment(ref connections);
            var socket = new System.Net.Sockets.Socket(System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp) { NoDelay = true };
            await socket.ConnectAsync(context.DnsEndPoint, token);
            return new System.Net.Sockets.NetworkStream(socket, ownsSocket: true);
        };
        var options = Clients.Options(o =>
        {
            o.EnableHttp2 = http2;
            o.MaxConcurrentRequestsPerRegistry = 4;
            o.Hosts["registry.invalid"] = new RegistryHostOptions { Mirror = registry.BaseUri.ToString() };
        });
        using var client = new Registry.RegistryClient(options, innerHandler: transport);
        var versions = new List<Version?>();
        client.RequestCompleted += (_, e) =>
        {
            lock (versions)
            {
                versions.Add(e.HttpVersion);
            }
        };

        var digests = await Task.WhenAll(Enumerable.Range(0, Tags).Select(i =>
            client.ResolveDigestAsync(ImageReference.Parse($"registry.invalid/h2/img:t{i}"), ct)));

        Assert.All(digests, d => Assert.Equal(image.Digest, d));
        Assert.Equal(Tags, versions.Count); // one HEAD per reference, nothing else
        Assert.All(versions, v => Assert.Equal(http2 ? HttpVersion.Version20 : HttpVersion.Version11, v));
        if (http2)
        {
            Assert.Equal(1, connections);
        }
        else
        {
            Assert.InRange(connections, 1, 4);
        }
    }

    /// <summary>Pushes blobs and the manifest under each tag with a plain HttpClient (the pusher speaks only to origins).</summary>
    private static async Task PushOverTlsAsync(DistributionRegistry registry, string repository, BuiltImage image, IEnumerable<string> tags, CancellationToken ct)
    {
        using var http = new HttpClient(registry.CreateTrustingHandler()) { BaseAddress = registry.BaseUri };
        var manifest = image.Manifest;
        foreach (var (digest, bytes) in manifest.Layers.Select(l => (l.Descriptor.Digest, l.Blob)).Append((manifest.Config.Digest, manifest.ConfigBytes)))
        {
            using var opened = await http.PostAsync(new Uri($"/v2/{repository}/blobs/uploads/", UriKind.Relative), null, ct);
            Assert.Equal(HttpStatusCode.Accepted, opened.StatusCode);
            var location = new Uri(registry.BaseUri, opened.Headers.Location!);
            using var body = new ReadOnlyMemoryContent(bytes);
            body.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
            using var put = await http.PutAsync(new Uri($"{location}{(location.Query.Length > 0 ? "&" : "?")}digest={Uri.EscapeDataString(digest.ToString())}"), body, ct);
            Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        }

        foreach (var tag in tags)
        {
            using var body = new ReadOnlyMemoryContent(image.Content);
            body.Headers.ContentType = new MediaTypeHeaderValue(image.MediaType);
            using var put = await http.PutAsync(new Uri($"/v2/{repository}/manifests/{tag}", UriKind.Relative), body, ct);
            Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        }
    }
}
