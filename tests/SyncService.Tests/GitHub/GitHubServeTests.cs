using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using CvmfsImages.Registry;
using CvmfsImages.Sync.CommandLine;
using CvmfsImages.Sync.GitHub;
using CvmfsImages.Tests.SyncService.EndToEnd;
using CvmfsImages.TestSupport;
using CvmfsImages.TestSupport.Images;
using Xunit;

namespace CvmfsImages.Tests.SyncService.GitHub;

/// <summary>
/// <c>serve</c> with the GitHub list and the webhook, every schedule an hour away: only the signed push webhook can
/// make the service read the changed list, sync the merged PR's image and tell the PR where it is.
/// </summary>
public sealed class GitHubServeTests(RegistryFixture fixture) : IClassFixture<RegistryFixture>
{
    private const string Secret = "serve-webhook-secret";
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task A_push_webhook_after_a_merge_syncs_the_changed_list_at_once_and_the_PR_is_told()
    {
        var ct = TestContext.Current.CancellationToken;
        var registry = fixture.Registry;
        using (var pusher = new RegistryClient(new RegistryClientOptions()))
        {
            await TestImage.Create().WithLayer(TestFile.Text("etc/hello", "served by webhook\n")).PushAsync(pusher, $"{registry.Host}/vo/hooked:1", ct);
        }

        await using var fake = await GitHubFake.StartAsync();
        fake.CommitFile("images.txt", "# the list\n");
        var pr = fake.OpenPullRequest("images.txt", $"# the list\n{registry.Host}/vo/hooked:1\n");
        using var h = new SyncHarness();
        var port = LoopbackPort.Free();
        var webhook = string.Create(CultureInfo.InvariantCulture, $"http://127.0.0.1:{port}/github/webhook");
        string[] args =
        [
            "serve", "--list", "github:osg/images", "--root", h.Root,
            "--set", "Sync:StateDirectory=" + h.State,
            "--set", "Sync:Schedules:ListPoll=01:00:00",
            "--set", "Sync:Schedules:FullResync=01:00:00",
            "--set", "Http:Urls=http://127.0.0.1:" + port.ToString(CultureInfo.InvariantCulture),
            "--set", "Registry:MaxRetries=1",
            "--set", "GitHub:ApiBaseUrl=" + fake.ApiBaseUrl,
            "--set", "GitHub:Token=" + fake.Token,
            "--set", "GitHub:BotLogin=" + fake.BotLogin,
            "--set", "GitHub:Webhook=true",
            "--set", "GitHub:WebhookSecret=" + Secret,
            "--set", "GitHub:PullRequestPollInterval=01:00:00",
            "--set", "GitHub:AllowedRegistries:0=" + registry.Host,
        ];
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        using var output = new StringWriter();
        using var error = new StringWriter();
        var serve = Task.Run(() => Cli.RunAsync(args, output, error, stop.Token), ct);

        // At start: the list is read once (a full pass) and the open PR is checked.
        await WaitUntilAsync(() => ListReads(fake) >= 1 && fake.Statuses(pr.HeadSha).Count > 0, serve, "the first list poll and PR check");
        Assert.Equal("success", fake.Statuses(pr.HeadSha)[0]["state"]!.GetValue<string>());

        fake.MergePullRequest(pr.Number);
        const string push = """{"ref":"refs/heads/main","repository":{"full_name":"osg/images","default_branch":"main"}}""";
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        using var request = new HttpRequestMessage(HttpMethod.Post, webhook) { Content = new StringContent(push, Encoding.UTF8, "application/json") };
        request.Headers.Add("X-GitHub-Event", "push");
        request.Headers.Add("X-Hub-Signature-256", WebhookSigner.Compute(Secret, Encoding.UTF8.GetBytes(push)));
        using (var response = await http.SendAsync(request, ct))
        {
            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        }

        await WaitUntilAsync(
            () => fake.Comments(pr.Number).Any(c => c.Body.StartsWith(PublishNoticeObserver.Marker, StringComparison.Ordinal)),
            serve,
            "the push webhook (sync and notice)");
        Assert.Equal("served by webhook\n", h.ReadFromImage("vo/hooked:1", "etc/hello"));
        var notice = Assert.Single(fake.Comments(pr.Number), c => c.Body.StartsWith(PublishNoticeObserver.Marker, StringComparison.Ordinal));
        Assert.Contains($"`{Path.Combine(h.Root, "vo/hooked:1")}`", notice.Body, StringComparison.Ordinal);
        Assert.True(ListReads(fake) >= 2, "the webhook made the service read the list again");

        await stop.CancelAsync();
        var exit = await serve.WaitAsync(Patience, ct);
        Assert.True(exit == ExitCodes.Success, $"exit {exit}\n{error}");
    }

    private static int ListReads(GitHubFake fake) =>
        fake.Requests.Count(r => r.Method == "GET" && r.PathAndQuery.EndsWith("/contents/images.txt?ref=main", StringComparison.Ordinal));

    private static async Task WaitUntilAsync(Func<bool> condition, Task<int> serve, string what)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            if (serve.IsCompleted)
            {
                Assert.Fail($"serve exited with {await serve} while waiting for {what}");
            }

            Assert.True(clock.Elapsed < Patience, $"serve did not act on {what} within {Patience.TotalSeconds} s");
            await Task.Delay(100, TestContext.Current.CancellationToken);
        }
    }
}
