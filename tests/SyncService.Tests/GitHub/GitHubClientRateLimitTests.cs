using System.Net;
using CvmfsImages.Sync.GitHub;
using CvmfsImages.TestSupport;
using Xunit;

namespace CvmfsImages.Tests.SyncService.GitHub;

public sealed class GitHubClientRateLimitTests
{
    private const string List = "python:3.12\n";
    private static readonly DateTimeOffset Start = new(2026, 11, 23, 10, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task A_spent_budget_makes_the_next_call_wait_until_the_reset_time()
    {
        await using var test = await RateLimited.StartAsync(o => o.Branch = "main");
        test.Fake.RateLimitRemaining = 1;
        test.Fake.RateLimitReset = Start.AddSeconds(90);

        Assert.Equal(List, (await test.GetListAsync())!.Text); // spends the last unit
        Assert.Equal(0, test.Client.RateLimitRemaining);

        var second = test.GetListAsync();
        await test.WaitsAsync(TimeSpan.FromSeconds(90), second);
        await test.ReadsTheListAsync(second, requests: 2);
    }

    [Fact]
    public async Task A_403_rate_limit_answer_is_retried_after_the_reset_time()
    {
        await using var test = await RateLimited.StartAsync();
        test.Fake.RateLimitRemaining = 0;
        test.Fake.RateLimitReset = Start.AddSeconds(30);

        var call = test.GetListAsync();
        await test.WaitsAsync(TimeSpan.FromSeconds(30), call);
        await test.ReadsTheListAsync(call, requests: 2);
    }

    public static TheoryData<int, string, string, int, int?> LimitAnswers => new()
    {
        // What the first answer says, how long the client waits before asking again, and its budget while it waits:
        // a secondary limit (403, then 429) with retry-after; a 429 with a spent primary budget.
        { 403, "retry-after=7", "You have exceeded a secondary rate limit. Please wait a few minutes before you try again.", 7, null },
        { 429, "retry-after=42", "You have exceeded a secondary rate limit.", 42, null },
        { 429, "x-ratelimit-remaining=0,x-ratelimit-reset=" + Start.AddSeconds(120).ToUnixTimeSeconds(), "API rate limit exceeded", 120, 0 },
    };

    [Theory]
    [MemberData(nameof(LimitAnswers))]
    public async Task A_rate_limit_answer_makes_the_client_wait_as_it_says_then_succeed(int status, string headers, string message, int waitSeconds, int? remainingWhileWaiting)
    {
        await using var test = await RateLimited.StartAsync(o => o.Branch = "main");
        var answer = headers.Split(',').Select(h => h.Split('=')).ToDictionary(h => h[0], h => h[1]);
        test.FailFirstRequest(status, answer, $"{{\"message\":\"{message}\"}}");

        var call = test.GetListAsync();
        await test.WaitsAsync(TimeSpan.FromSeconds(waitSeconds), call, () =>
        {
            if (remainingWhileWaiting is { } remaining)
            {
                Assert.Equal(remaining, test.Client.RateLimitRemaining);
            }
        });
        await test.ReadsTheListAsync(call, requests: 2);
    }

    [Fact]
    public async Task A_reset_further_away_than_the_longest_wait_fails_at_once_as_transient_with_the_retry_time()
    {
        await using var test = await RateLimited.StartAsync();
        test.Fake.RateLimitRemaining = 0;
        test.Fake.RateLimitReset = Start.AddHours(2);

        var ex = await Assert.ThrowsAsync<GitHubException>(test.GetListAsync);

        Assert.True(ex.IsTransient);
        Assert.Equal(Start.AddHours(2), ex.RetryAt);
        Assert.Contains("rate limit", ex.Message, StringComparison.Ordinal);
        Assert.Single(test.Fake.Requests);
    }

    [Fact]
    public async Task A_secondary_limit_without_retry_after_waits_a_minute_and_gives_up_after_the_retries()
    {
        await using var test = await RateLimited.StartAsync(o => o.MaxRateLimitRetries = 1);
        test.Fake.Intercept = _ => (403, null, "{\"message\":\"You have exceeded a secondary rate limit.\"}");

        var call = test.GetListAsync();
        await test.WaitsAsync(TimeSpan.FromMinutes(1), call);
        var ex = await Assert.ThrowsAsync<GitHubException>(() => RateLimited.FinishAsync(call));

        Assert.True(ex.IsTransient);
        Assert.Equal(Start.AddMinutes(2), ex.RetryAt);
        Assert.Equal(2, test.Fake.Requests.Count);
    }

    [Fact]
    public async Task A_plain_403_is_not_a_rate_limit_and_is_not_retried()
    {
        await using var fake = await GitHubFake.StartAsync();
        fake.Intercept = _ => (403, null, "{\"message\":\"Resource not accessible by integration\"}");
        var options = GitHubTestOptions.For(fake);
        using var client = new GitHubClient(options);

        var ex = await Assert.ThrowsAsync<GitHubException>(() => client.GetFileAsync("images.txt", "main", null, TestContext.Current.CancellationToken));

        Assert.Equal(HttpStatusCode.Forbidden, ex.Status);
        Assert.Contains("Resource not accessible by integration", ex.Message, StringComparison.Ordinal);
        Assert.Single(fake.Requests);
    }

    [Fact]
    public async Task Pages_are_followed_through_the_Link_header_but_never_to_another_host()
    {
        await using var fake = await GitHubFake.StartAsync();
        for (var i = 0; i < 130; i++)
        {
            fake.AddComment(7, "someone", "comment " + i);
        }

        var options = GitHubTestOptions.For(fake);
        using var client = new GitHubClient(options);
        var comments = await client.ListIssueCommentsAsync(7, TestContext.Current.CancellationToken);
        Assert.Equal(130, comments.Count);
        Assert.Equal(2, fake.Requests.Count);
        Assert.Contains("page=2", fake.Requests[1].PathAndQuery, StringComparison.Ordinal);

        fake.Intercept = _ => (200, new Dictionary<string, string> { ["Link"] = "<http://attacker.example/api/v3/repos/osg/images/issues/7/comments?page=2>; rel=\"next\"" }, "[]");
        var ex = await Assert.ThrowsAsync<GitHubException>(() => client.ListIssueCommentsAsync(7, TestContext.Current.CancellationToken));
        Assert.Contains("leaves the configured API origin", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Owner", "")]
    [InlineData("Repository", "bad/name")]
    [InlineData("Path", "../etc/passwd")]
    [InlineData("Branch", "main..x")]
    [InlineData("ApiBaseUrl", "http://github.example/api/v3")]
    [InlineData("MaxListBytes", "0")]
    [InlineData("WebhookPrefix", "http://0.0.0.0:8089/github/")]
    [InlineData("WebhookPrefix", "http://127.0.0.1:8089/github")]
    [InlineData("AllowedRegistries", "https://ghcr.io")]
    [InlineData("AllowedRegistries", "ghcr.io/org")]
    public void Bad_options_are_refused_naming_the_key(string key, string value)
    {
        var options = new GitHubOptions { Owner = "osg", Repository = "images" };
        switch (key)
        {
            case "Owner": options.Owner = value; break;
            case "Repository": options.Repository = value; break;
            case "Path": options.Path = value; break;
            case "Branch": options.Branch = value; break;
            case "ApiBaseUrl": options.ApiBaseUrl = new Uri(value); break;
            case "MaxListBytes": options.MaxListBytes = int.Parse(value, System.Globalization.CultureInfo.InvariantCulture); break;
            case "WebhookPrefix": options.WebhookPrefix = value; options.WebhookSecret = "s"; break;
            case "AllowedRegistries": options.AllowedRegistries = ["docker.io", value]; break;
        }

        var ex = Assert.Throws<GitHubOptionsException>(options.Validate);
        Assert.Equal("GitHub:" + key, ex.Key);
        Assert.Contains("GitHub:" + key, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_webhook_without_a_secret_is_refused()
    {
        var options = new GitHubOptions { Owner = "osg", Repository = "images", Webhook = true, WebhookSecretEnvironmentVariable = "CVMFS_IMAGES_UNSET_" + Guid.NewGuid().ToString("N") };
        var ex = Assert.Throws<GitHubOptionsException>(options.Validate);
        Assert.Equal("GitHub:WebhookSecret", ex.Key);
    }

    /// <summary>
    /// The setup the rate-limit tests share: a fake GitHub on a hand-moved clock holding a one-line list, and a client
    /// on the same clock (options tweaked by the test).
    /// </summary>
    private sealed class RateLimited : IAsyncDisposable
    {
        private RateLimited(ManualTimeProvider time, GitHubFake fake, GitHubClient client)
        {
            Time = time;
            Fake = fake;
            Client = client;
        }

        public ManualTimeProvider Time { get; }

        public GitHubFake Fake { get; }

        public GitHubClient Client { get; }

        public static async Task<RateLimited> StartAsync(Action<GitHubOptions>? configure = null)
        {
            var time = new ManualTimeProvider(Start);
            var fake = await GitHubFake.StartAsync();
            fake.Now = time.GetUtcNow;
            fake.CommitFile("images.txt", List);
            var options = GitHubTestOptions.For(fake);
            configure?.Invoke(options);
            return new RateLimited(time, fake, new GitHubClient(options, time: time));
        }

        /// <summary>The fake answers the first request with this, and every later one normally.</summary>
        public void FailFirstRequest(int status, Dictionary<string, string> headers, string body)
        {
            var first = true;
            Fake.Intercept = _ =>
            {
                if (!first)
                {
                    return null;
                }

                first = false;
                return (status, headers, body);
            };
        }

        public Task<GitHubFile?> GetListAsync() => Client.GetFileAsync("images.txt", "main", null, TestContext.Current.CancellationToken);

        /// <summary>
        /// The client's next wait, after the one request every test here starts with, is <paramref name="expected"/>;
        /// while it waits <paramref name="call"/> is not done and nothing more is sent (<paramref name="alsoWhileWaiting"/>
        /// checks more); then the clock moves past it.
        /// </summary>
        public async Task WaitsAsync(TimeSpan expected, Task<GitHubFile?> call, Action? alsoWhileWaiting = null)
        {
            var wait = await Time.NextTimerAsync().WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);
            Assert.Equal(expected, wait);
            Assert.False(call.IsCompleted);
            Assert.Single(Fake.Requests);
            alsoWhileWaiting?.Invoke();
            Time.Advance(wait);
        }

        /// <summary><paramref name="call"/> ends with the list's text, after <paramref name="requests"/> requests in all.</summary>
        public async Task ReadsTheListAsync(Task<GitHubFile?> call, int requests)
        {
            var file = await FinishAsync(call);
            Assert.NotNull(file);
            Assert.Equal(List, file.Text);
            Assert.Equal(requests, Fake.Requests.Count);
        }

        public static Task<GitHubFile?> FinishAsync(Task<GitHubFile?> call) => call.WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);

        public async ValueTask DisposeAsync()
        {
            Client.Dispose();
            await Fake.DisposeAsync();
        }
    }
}
