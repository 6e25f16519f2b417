using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using CvmfsImages.Sync.Configuration;
using CvmfsImages.Sync.Web;
using CvmfsImages.TestSupport;
using Xunit;

namespace CvmfsImages.Tests.SyncService.Web;

/// <summary>
/// <c>serve</c>'s one HTTP host over real HTTP after a real pass (registry and directory backend): the JSON API and
/// its schema, the pages, metrics, health and readiness, and the HTTP rules (HEAD, 404, 405, Kestrel's limits).
/// </summary>
public sealed class HttpHostTests(RegistryFixture fixture) : IClassFixture<RegistryFixture>, IAsyncLifetime
{
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(30) };
    private ServeHostFixture _serve = null!;

    public async ValueTask InitializeAsync()
    {
        var registry = fixture.Registry;
        await ServeHostFixture.PushAsync(registry, "web/app:1", "app one\n");
        _serve = await ServeHostFixture.StartAsync(
            [$"{registry.Host}/web/app:1", $"{registry.Host}/web/missing:1"],
            null,
            "Http:RequestHeadersTimeout=00:00:02");
        await WaitAsync(async () => (await StatusAsync()).GetProperty("lastPasses").GetArrayLength() > 0, "the first pass");
    }

    public async ValueTask DisposeAsync()
    {
        await _serve.DisposeAsync();
        _http.Dispose();
    }

    [Fact]
    public async Task The_api_and_the_pages_show_the_pass_with_the_documented_fields()
    {
        var ct = TestContext.Current.CancellationToken;
        var status = await StatusAsync();
        Assert.Equal(1, status.GetProperty("schemaVersion").GetInt32());
        Assert.Equal(1, status.GetProperty("counts").GetProperty("published").GetInt32());
        Assert.Equal(1, status.GetProperty("counts").GetProperty("failing").GetInt32());
        Assert.Equal(JsonValueKind.Null, status.GetProperty("pass").ValueKind);
        var failing = Assert.Single(status.GetProperty("failing").EnumerateArray());
        Assert.Equal("web/missing:1", failing.GetProperty("path").GetString());
        Assert.False(string.IsNullOrEmpty(failing.GetProperty("detail").GetString()));
        Assert.Equal(JsonValueKind.String, failing.GetProperty("failingSince").ValueKind);
        Assert.Equal(JsonValueKind.String, failing.GetProperty("nextRetry").ValueKind);
        Assert.Equal(["full-resync", "gc", "list-poll"], status.GetProperty("schedules").EnumerateArray().Select(s => s.GetProperty("job").GetString()).Order(StringComparer.Ordinal));

        using var images = JsonDocument.Parse(await _http.GetStringAsync(Uri("/api/images"), ct));
        var app = Assert.Single(images.RootElement.GetProperty("images").EnumerateArray(), i => i.GetProperty("path").GetString() == "web/app:1");
        Assert.Equal("published", app.GetProperty("state").GetString());
        Assert.Equal(Path.Combine(_serve.Harness.Root, "web/app:1"), app.GetProperty("cvmfsPath").GetString());
        Assert.StartsWith("sha256:", app.GetProperty("manifestDigest").GetString(), StringComparison.Ordinal);
        Assert.Equal("linux/amd64", app.GetProperty("platform").GetString());
        Assert.Equal(1, app.GetProperty("line").GetProperty("number").GetInt32());
        foreach (var field in new[] { "configDigest", "size", "files", "publishedAt", "sources", "lastResult", "pullRequest" })
        {
            Assert.True(app.TryGetProperty(field, out _), $"field {field} is missing");
        }

        using var one = await _http.GetAsync(Uri("/api/images/web/app:1"), ct);
        Assert.Equal(HttpStatusCode.OK, one.StatusCode);
        Assert.Equal("application/json; charset=utf-8", one.Content.Headers.ContentType?.ToString());
        using var none = await _http.GetAsync(Uri("/api/images/web/nothing:1"), ct);
        Assert.Equal(HttpStatusCode.NotFound, none.StatusCode);
        Assert.Contains("web/nothing:1", await none.Content.ReadAsStringAsync(ct), StringComparison.Ordinal);

        using var page = await _http.GetAsync(Uri("/"), ct);
        var html = await page.Content.ReadAsStringAsync(ct);
        Assert.Equal("text/html; charset=utf-8", page.Content.Headers.ContentType?.ToString());
        Assert.Contains("script-src 'self'", page.Headers.GetValues("Content-Security-Policy").Single(), StringComparison.Ordinal);
        Assert.Contains("web/app:1", html, StringComparison.Ordinal);
        Assert.Contains("web/missing:1", html, StringComparison.Ordinal);
        using var imagePage = await _http.GetAsync(Uri("/images/web/app:1"), ct);
        Assert.Equal(HttpStatusCode.OK, imagePage.StatusCode);
        Assert.Contains(app.GetProperty("manifestDigest").GetString()!, await imagePage.Content.ReadAsStringAsync(ct), StringComparison.Ordinal);
        using var missingPage = await _http.GetAsync(Uri("/images/web/nothing:1"), ct);
        Assert.Equal(HttpStatusCode.NotFound, missingPage.StatusCode);
        using var css = await _http.GetAsync(Uri("/assets/status.css"), ct);
        Assert.Equal("text/css; charset=utf-8", css.Content.Headers.ContentType?.ToString());
    }

    [Fact]
    public async Task Metrics_keep_their_names_add_http_requests_and_health_and_readiness_answer()
    {
        var ct = TestContext.Current.CancellationToken;
        Assert.Equal("ok\n", await _http.GetStringAsync(Uri("/healthz"), ct));
        var metrics = await _http.GetStringAsync(Uri("/metrics"), ct);
        Assert.Contains("# TYPE cvmfs_image_sync_images_published gauge", metrics, StringComparison.Ordinal);
        Assert.Contains("cvmfs_image_sync_images_published 1", metrics, StringComparison.Ordinal);
        Assert.Contains("cvmfs_image_sync_images_failed 1", metrics, StringComparison.Ordinal);
        Assert.Contains("cvmfs_image_sync_syncs_total{result=\"failure\"} 1", metrics, StringComparison.Ordinal);
        Assert.Matches($"cvmfs_image_sync_registry_requests_total\\{{registry=\"{fixture.Registry.Host}\",method=\"HEAD\",status=\"200\"\\}} [1-9]", metrics);
        Assert.Matches("cvmfs_image_sync_bytes_pulled_total [1-9]", metrics);
        Assert.Matches("http_requests_received_total\\{code=\"200\",method=\"GET\",controller=\"\",action=\"\",endpoint=\"/healthz\"\\} 1", metrics);

        using var ready = await _http.GetAsync(Uri("/readyz"), ct);
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        using var json = JsonDocument.Parse(await ready.Content.ReadAsStringAsync(ct));
        var checks = json.RootElement.GetProperty("checks");
        Assert.Equal("healthy", checks.GetProperty("scheduler").GetProperty("status").GetString());
        Assert.Equal("healthy", checks.GetProperty("repository").GetProperty("status").GetString());
        Assert.Equal("healthy", checks.GetProperty("list").GetProperty("status").GetString());
        Assert.Equal("degraded", checks.GetProperty("last-pass").GetProperty("status").GetString()); // web/missing:1 failed
        Assert.Equal("degraded", json.RootElement.GetProperty("status").GetString());
    }

    [Fact]
    public async Task Head_answers_without_a_body_unknown_paths_are_404_and_other_methods_405()
    {
        var ct = TestContext.Current.CancellationToken;
        foreach (var path in new[] { "/", "/api/status", "/metrics", "/healthz", "/images/web/app:1" })
        {
            var (status, head, body) = await RawAsync($"HEAD {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
            Assert.True(status == 200, $"HEAD {path}: {status}\n{head}");
            Assert.Equal(string.Empty, body);
        }

        using var missing = await _http.GetAsync(Uri("/nothing/here"), ct);
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Contains("/api/status", await missing.Content.ReadAsStringAsync(ct), StringComparison.Ordinal);
        using var post = await _http.PostAsync(Uri("/"), new StringContent("x"), ct);
        Assert.Equal(HttpStatusCode.MethodNotAllowed, post.StatusCode);
        using var delete = await _http.DeleteAsync(Uri("/metrics"), ct);
        Assert.Equal(HttpStatusCode.MethodNotAllowed, delete.StatusCode);
        using var webhook = await _http.PostAsync(Uri("/github/webhook"), new StringContent("{}"), ct);
        Assert.Equal(HttpStatusCode.NotFound, webhook.StatusCode); // no GitHub list: no webhook
    }

    [Fact]
    public async Task Oversized_request_lines_and_headers_are_refused()
    {
        var (status, _, _) = await RawAsync("GET /?" + new string('a', 10_000) + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        Assert.Equal(414, status);
        (status, _, _) = await RawAsync("GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + new string('b', 20_000) + "\r\nConnection: close\r\n\r\n");
        Assert.Equal(431, status);
        (status, _, _) = await RawAsync("GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        Assert.Equal(200, status);
    }

    [Fact]
    public async Task A_client_that_never_finishes_its_headers_is_cut_off()
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(_serve.BaseUri.Host, _serve.BaseUri.Port, TestContext.Current.CancellationToken);
        await socket.SendAsync(Encoding.ASCII.GetBytes("GET / HTTP/1.1\r\nHost: x\r\nX-Slow: "), TestContext.Current.CancellationToken);

        // Http:RequestHeadersTimeout is 2 s here: Kestrel answers 408 (or closes) well before the read gives up.
        var answer = await ReadToEndAsync(socket, TimeSpan.FromSeconds(30));
        Assert.True(answer.Length == 0 || answer.StartsWith("HTTP/1.1 408", StringComparison.Ordinal), answer);
    }

    [Theory]
    [InlineData("http://0.0.0.0:9477", false, true)]
    [InlineData("http://0.0.0.0:9477", true, false)]
    [InlineData("http://192.0.2.1:9477", false, true)]
    [InlineData("http://127.0.0.1:9477;http://[::1]:9477", false, false)]
    [InlineData("http://localhost:9477", false, false)]
    [InlineData("http://127.0.0.1", false, true)]
    [InlineData("https://127.0.0.1:9477", false, true)]
    [InlineData("http://127.0.0.1:9477/status", false, true)]
    [InlineData("http://example.org:9477", true, true)]
    [InlineData("", false, true)]
    public void Listen_addresses_are_loopback_unless_allowed_explicitly(string urls, bool allowNonLoopback, bool refused)
    {
        var options = new HttpOptions { Urls = urls, AllowNonLoopback = allowNonLoopback };
        if (!refused)
        {
            options.Validate();
            return;
        }

        var ex = Assert.Throws<OptionsException>(options.Validate);
        Assert.Equal("Http:Urls", ex.Key);
    }

    [Fact]
    public void Limits_that_make_no_sense_are_refused_naming_the_key()
    {
        Assert.Equal("Http:MinDataRateGracePeriod", Assert.Throws<OptionsException>(new HttpOptions { MinDataRateGracePeriod = TimeSpan.FromMilliseconds(500) }.Validate).Key);
        Assert.Equal("Http:MaxRequestHeadersTotalBytes", Assert.Throws<OptionsException>(new HttpOptions { MaxRequestHeadersTotalBytes = 10 }.Validate).Key);
        Assert.Equal("Http:RequestHeadersTimeout", Assert.Throws<OptionsException>(new HttpOptions { RequestHeadersTimeout = TimeSpan.Zero }.Validate).Key);
    }

    private Uri Uri(string path) => new(_serve.BaseUri, path);

    private async Task<JsonElement> StatusAsync()
    {
        using var document = JsonDocument.Parse(await _http.GetStringAsync(Uri("/api/status"), TestContext.Current.CancellationToken));
        return document.RootElement.Clone();
    }

    private static async Task WaitAsync(Func<Task<bool>> condition, string what)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (!await condition())
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(90), $"no {what} within 90 s");
            await Task.Delay(100, TestContext.Current.CancellationToken);
        }
    }

    // One request over a raw socket: status code, head, body (for what HttpClient will not send or hides).
    private async Task<(int Status, string Head, string Body)> RawAsync(string request)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(_serve.BaseUri.Host, _serve.BaseUri.Port, TestContext.Current.CancellationToken);
        await socket.SendAsync(Encoding.ASCII.GetBytes(request), TestContext.Current.CancellationToken);
        var text = await ReadToEndAsync(socket, TimeSpan.FromSeconds(30));
        var split = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        Assert.True(split > 0, "no response head: " + text);
        var status = int.Parse(text.AsSpan(9, 3), CultureInfo.InvariantCulture);
        return (status, text[..split], text[(split + 4)..]);
    }

    private static async Task<string> ReadToEndAsync(Socket socket, TimeSpan patience)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(patience);
        var received = new MemoryStream();
        var buffer = new byte[8192];
        int read;
        try
        {
            while ((read = await socket.ReceiveAsync(buffer, SocketFlags.None, timeout.Token)) > 0)
            {
                received.Write(buffer, 0, read);
            }
        }
        catch (SocketException)
        {
            // Reset by the server after its answer: what came is what counts.
        }

        Assert.False(timeout.IsCancellationRequested && !TestContext.Current.CancellationToken.IsCancellationRequested, "the server kept the connection open");
        return Encoding.ASCII.GetString(received.ToArray());
    }
}
