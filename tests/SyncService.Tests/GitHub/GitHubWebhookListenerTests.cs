using System.Net;
using System.Text;
using CvmfsImages.Sync.GitHub;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace CvmfsImages.Tests.SyncService.GitHub;

/// <summary>The webhook's rules, over real HTTP: the listener mapped on a Kestrel host of its own, as <c>serve</c> maps it.</summary>
public sealed class GitHubWebhookListenerTests : IAsyncLifetime
{
    private const string Secret = "webhook-shared-secret";
    private const string PushBody = """{"ref":"refs/heads/main","after":"0123","repository":{"full_name":"osg/images","default_branch":"main"}}""";
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(30) };
    private GitHubWebhookListener _listener = null!;
    private WebApplication _app = null!;
    private Uri _uri = null!;
    private int _listChanged;
    private readonly List<PullRequestEventArgs> _pullRequests = [];
    private readonly SemaphoreSlim _raised = new(0);

    public async ValueTask InitializeAsync()
    {
        var options = new GitHubOptions { Owner = "osg", Repository = "images", Webhook = true, WebhookSecret = Secret, MaxWebhookBytes = 64 * 1024 };
        options.Validate();
        _listener = new GitHubWebhookListener(options);
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.WebHost.UseKestrelCore().ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
        builder.Services.AddRoutingCore();
        _app = builder.Build();
        _app.MapPost(GitHubWebhookListener.Route, _listener.HandleAsync);
        await _app.StartAsync(TestContext.Current.CancellationToken);
        var address = _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        _uri = new Uri(new Uri(address), GitHubWebhookListener.Route);

        _listener.ListChanged += (_, _) =>
        {
            Interlocked.Increment(ref _listChanged);
            _raised.Release();
        };
        _listener.PullRequestChanged += (_, e) =>
        {
            lock (_pullRequests)
            {
                _pullRequests.Add(e);
            }

            _raised.Release();
        };
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync(CancellationToken.None);
        await _app.DisposeAsync();
        _http.Dispose();
        _raised.Dispose();
    }

    [Fact]
    public async Task A_signed_push_to_the_list_branch_triggers_a_list_poll()
    {
        using var response = await PostAsync("push", PushBody, WebhookSigner.Compute(Secret, Encoding.UTF8.GetBytes(PushBody)));

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.True(await _raised.WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken));
        Assert.Equal(1, Volatile.Read(ref _listChanged));
    }

    [Fact]
    public async Task A_wrong_signature_is_403_and_triggers_nothing()
    {
        var wrong = WebhookSigner.Compute("another-secret", Encoding.UTF8.GetBytes(PushBody));
        using var response = await PostAsync("push", PushBody, wrong);
        using var tampered = await PostAsync("push", PushBody.Replace("main", "mainx", StringComparison.Ordinal), WebhookSigner.Compute(Secret, Encoding.UTF8.GetBytes(PushBody)));
        using var garbage = await PostAsync("push", PushBody, "sha256=zz");

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, tampered.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, garbage.StatusCode);
        await AssertNothingRaisedAsync();
    }

    [Fact]
    public async Task A_missing_signature_is_401_and_triggers_nothing()
    {
        using var response = await PostAsync("push", PushBody, signature: null);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        await AssertNothingRaisedAsync();
    }

    [Fact]
    public async Task An_oversized_body_is_413()
    {
        var body = "{\"pad\":\"" + new string('x', 70 * 1024) + "\"}";
        using var response = await PostAsync("push", body, WebhookSigner.Compute(Secret, Encoding.UTF8.GetBytes(body)));

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        await AssertNothingRaisedAsync();
    }

    [Fact]
    public async Task A_chunked_body_over_the_bound_is_413_too()
    {
        var body = "{\"pad\":\"" + new string('x', 70 * 1024) + "\"}";
        using var request = new HttpRequestMessage(HttpMethod.Post, _uri) { Content = new ChunkedContent(Encoding.UTF8.GetBytes(body)) };
        request.Headers.Add("X-GitHub-Event", "push");
        request.Headers.Add("X-Hub-Signature-256", WebhookSigner.Compute(Secret, Encoding.UTF8.GetBytes(body)));
        using var response = await _http.SendAsync(request, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        await AssertNothingRaisedAsync();
    }

    [Fact]
    public async Task A_signed_body_that_is_not_json_content_is_415()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, _uri) { Content = new StringContent("payload=%7B%7D", Encoding.UTF8, "application/x-www-form-urlencoded") };
        request.Headers.Add("X-GitHub-Event", "push");
        request.Headers.Add("X-Hub-Signature-256", WebhookSigner.Compute(Secret, Encoding.UTF8.GetBytes("payload=%7B%7D")));
        using var response = await _http.SendAsync(request, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
        await AssertNothingRaisedAsync();
    }

    [Fact]
    public async Task A_pull_request_event_triggers_its_check_and_a_merge_also_polls_the_list()
    {
        const string opened = """{"action":"opened","number":42,"pull_request":{"number":42,"merged":false},"repository":{"full_name":"osg/images"}}""";
        const string merged = """{"action":"closed","number":42,"pull_request":{"number":42,"merged":true},"repository":{"full_name":"OSG/Images"}}""";

        using (var r = await PostAsync("pull_request", opened, WebhookSigner.Compute(Secret, Encoding.UTF8.GetBytes(opened))))
        {
            Assert.Equal(HttpStatusCode.Accepted, r.StatusCode);
        }

        Assert.True(await _raised.WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken));
        using (var r = await PostAsync("pull_request", merged, WebhookSigner.Compute(Secret, Encoding.UTF8.GetBytes(merged))))
        {
            Assert.Equal(HttpStatusCode.Accepted, r.StatusCode);
        }

        Assert.True(await _raised.WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken));
        Assert.True(await _raised.WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken));
        lock (_pullRequests)
        {
            Assert.Equal([(42, "opened", false), (42, "closed", true)], _pullRequests.Select(p => (p.Number, p.Action, p.Merged)));
        }

        Assert.Equal(1, Volatile.Read(ref _listChanged));
    }

    [Fact]
    public async Task Events_for_another_repository_or_branch_are_accepted_but_ignored()
    {
        const string otherRepo = """{"ref":"refs/heads/main","repository":{"full_name":"evil/images","default_branch":"main"}}""";
        const string otherBranch = """{"ref":"refs/heads/feature","repository":{"full_name":"osg/images","default_branch":"main"}}""";
        using var a = await PostAsync("push", otherRepo, WebhookSigner.Compute(Secret, Encoding.UTF8.GetBytes(otherRepo)));
        using var b = await PostAsync("push", otherBranch, WebhookSigner.Compute(Secret, Encoding.UTF8.GetBytes(otherBranch)));
        using var ping = await PostAsync("ping", "{\"zen\":\"x\"}", WebhookSigner.Compute(Secret, Encoding.UTF8.GetBytes("{\"zen\":\"x\"}")));

        Assert.Equal(HttpStatusCode.Accepted, a.StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, b.StatusCode);
        Assert.Equal(HttpStatusCode.OK, ping.StatusCode);
        await AssertNothingRaisedAsync();
    }

    [Fact]
    public void Signature_verification_matches_GitHubs_documented_example()
    {
        // From GitHub's "Validating webhook deliveries" page: secret "It's a Secret to Everybody", payload "Hello, World!".
        const string expected = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";
        Assert.Equal(expected, WebhookSigner.Compute("It's a Secret to Everybody", "Hello, World!"u8));
        Assert.True(WebhookSignature.Verify("It's a Secret to Everybody", "Hello, World!"u8, expected));
        Assert.False(WebhookSignature.Verify("It's a Secret to Everybody", "Hello, World?"u8, expected));
        Assert.False(WebhookSignature.Verify("It's a Secret to Everybody", "Hello, World!"u8, expected.ToUpperInvariant()));
        Assert.False(WebhookSignature.Verify("It's a Secret to Everybody", "Hello, World!"u8, null));
    }

    private async Task AssertNothingRaisedAsync()
    {
        // Events are raised after the answer; a signed ping after the request under test flushes the order.
        const string flush = """{"ref":"refs/heads/main","repository":{"full_name":"osg/images","default_branch":"main"}}""";
        using var response = await PostAsync("push", flush, WebhookSigner.Compute(Secret, Encoding.UTF8.GetBytes(flush)));
        Assert.True(await _raised.WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken));
        Assert.Equal(1, Volatile.Read(ref _listChanged));
        lock (_pullRequests)
        {
            Assert.Empty(_pullRequests);
        }
    }

    private async Task<HttpResponseMessage> PostAsync(string eventName, string body, string? signature)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, _uri) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        request.Headers.Add("X-GitHub-Event", eventName);
        request.Headers.Add("X-GitHub-Delivery", Guid.NewGuid().ToString());
        if (signature is not null)
        {
            request.Headers.Add("X-Hub-Signature-256", signature);
        }

        return await _http.SendAsync(request, TestContext.Current.CancellationToken);
    }

    // A body without Content-Length (Transfer-Encoding: chunked), as a proxy may forward it.
    private sealed class ChunkedContent(byte[] bytes) : HttpContent
    {
        protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) => stream.WriteAsync(bytes).AsTask();

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }
    }
}
