using System.Globalization;
using System.Net;
using System.Text;
using CvmfsImages.Sync.Configuration;
using CvmfsImages.Sync.GitHub;
using CvmfsImages.Sync.Hosting;
using CvmfsImages.TestSupport;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Xunit;

namespace CvmfsImages.Tests.SyncService.GitHub;

/// <summary>The serve-mode wiring: a signed pull_request webhook on the HTTP host makes the worker check that PR at once.</summary>
public sealed class GitHubWorkerTests
{
    private const string Secret = "worker-test-secret";

    [Fact]
    public async Task A_pull_request_webhook_triggers_its_check_without_waiting_for_the_poll()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var fake = await GitHubFake.StartAsync();
        fake.CommitFile("images.txt", "# nothing listed yet\n");
        using var dir = new TempDirectory("github-worker");

        var settings = SyncSettings.Load(
            new CommandLineOverrides
            {
                List = "github:osg/images",
                Root = dir.Combine("root"),
                Settings =
                [
                    "Sync:StateDirectory=" + dir.Combine("state"),
                    "GitHub:ApiBaseUrl=" + fake.ApiBaseUrl,
                    "GitHub:Token=" + fake.Token,
                    "Http:Urls=http://127.0.0.1:0",
                    "Sync:Schedules:ListPoll=01:00:00",
                    "Sync:Schedules:FullResync=01:00:00",
                    "GitHub:Webhook=true",
                    "GitHub:WebhookSecret=" + Secret,
                    "GitHub:PullRequestPollInterval=01:00:00",
                ],
            },
            includeSystemFile: false);
        var logs = new CapturingLoggerProvider();
        using var host = await ServeHost.BuildAsync(settings, verbose: false, null, logs.Register, ct);
        var worker = host.Services.GetRequiredService<GitHubWorker>();
        using var rounds = new SemaphoreSlim(0);
        worker.RoundCompleted += (_, _) => rounds.Release();
        await host.StartAsync(ct);
        var prefix = new Uri(ServeHost.Addresses(host).Single(), "/github/webhook");
        try
        {
            Assert.True(await rounds.WaitAsync(TimeSpan.FromSeconds(30), ct)); // the first (full) round: no PRs yet
            var pr = fake.OpenPullRequest("images.txt", "# nothing listed yet\nnot a reference\n");
            var body = "{\"action\":\"opened\",\"number\":" + pr.Number.ToString(CultureInfo.InvariantCulture) +
                       ",\"pull_request\":{\"merged\":false},\"repository\":{\"full_name\":\"osg/images\"}}";
            using var http = new HttpClient();
            using var request = new HttpRequestMessage(HttpMethod.Post, prefix) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
            request.Headers.Add("X-GitHub-Event", "pull_request");
            request.Headers.Add("X-Hub-Signature-256", WebhookSigner.Compute(Secret, Encoding.UTF8.GetBytes(body)));
            using (var unsigned = new HttpRequestMessage(HttpMethod.Post, prefix) { Content = new StringContent(body, Encoding.UTF8, "application/json") })
            {
                unsigned.Headers.Add("X-GitHub-Event", "pull_request");
                unsigned.Headers.Add("X-Hub-Signature-256", WebhookSigner.Compute("not-the-secret", Encoding.UTF8.GetBytes(body)));
                using var refused = await http.SendAsync(unsigned, ct);
                Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
            }

            using var response = await http.SendAsync(request, ct);
            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);

            // Rounds complete on the webhook's wake-up; the poll interval (an hour) never elapses in this test.
            for (var i = 0; i < 10 && fake.Statuses(pr.HeadSha).Count == 0; i++)
            {
                Assert.True(await rounds.WaitAsync(TimeSpan.FromSeconds(30), ct));
            }

            Assert.Equal("failure", Assert.Single(fake.Statuses(pr.HeadSha))["state"]!.GetValue<string>());

            // Neither the token nor the webhook secret reaches a log line, at any level.
            var text = logs.Text;
            Assert.Contains("wrong signature", text, StringComparison.Ordinal);
            Assert.Contains("GitHub POST", text, StringComparison.Ordinal);
            Assert.DoesNotContain(fake.Token!, text, StringComparison.Ordinal);
            Assert.DoesNotContain(Secret, text, StringComparison.Ordinal);
        }
        finally
        {
            await host.StopAsync(CancellationToken.None);
        }
    }
}
