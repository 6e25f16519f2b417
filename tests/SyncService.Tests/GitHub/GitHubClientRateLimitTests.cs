using System.Net;
using CvmfsImages.Sync.GitHub;
using CvmfsImages.TestSupport;
using Xunit;

namespace CvmfsImages.Tests.SyncService.GitHub;

public sealed class GitHubClientRateLimitTests
{
    private static readonly DateTimeOffset Start = new(2026, 11, 23, 10, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task A_spent_budget_makes_the_next_call_wait_until_the_reset_time()
    {
        var time = new ManualTimeProvider(Start);
        await using var fake = await FakeWithListAsync(time);
        fake.RateLimitRemaining = 1;
        fake.RateLimitReset = Start.AddSeconds(90);
        var options = GitHubTestOptions.For(fake);
        options.Branch = "main";
        using var client = new GitHubClient(options, time: time);

        await client.GetFileAsync("images.txt", "main", null, TestContext.Current.CancellationToken); // spends the last unit
        Assert.Equal(0, client.RateLimitRemaining);

        var second = client.GetFileAsync("images.txt", "main", null, TestContext.Current.CancellationToken);
        var wait = await time.NextTimerAsync().WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);

        Assert.Equal(TimeSpan.FromSeconds(90), wait);
        Assert.False(second.IsCompleted);
        Assert.Single(fake.Requests); // nothing sent while waiting
        time.Advance(TimeSpan.FromSeconds(90));
        var file = await second.WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);
        Assert.NotNull(file);
        Assert.Equal(2, fake.Requests.Count);
    }

    [Fact]
    public async Task A_403_rate_limit_answer_is_retried_after_the_reset_time()
    {
        var time = new ManualTimeProvider(Start);
        await using var fake = await FakeWithListAsync(time);
        fake.RateLimitRemaining = 0;
        fake.RateLimitReset = Start.AddSeconds(30);
        var options = GitHubTestOptions.For(fake);
        using var client = new GitHubClient(options, time: time);

        var call = client.GetFileAsync("images.txt", "main", null, TestContext.Current.CancellationToken);
        var wait = await time.NextTimerAsync().WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);
        Assert.Equal(TimeSpan.FromSeconds(30), wait);
        time.Advance(wait);
        var file = await call.WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);

        Assert.NotNull(file);
        Assert.Equal(2, fake.Requests.Count);
    }

    [Fact]
    public async Task A_secondary_rate_limit_waits_for_retry_after()
    {
        var time = new ManualTimeProvider(Start);
        await using var fake = await FakeWithListAsync(time);
        var first = true;
        fake.Intercept = _ =>
        {
            if (!first)
            {
                return null;
            }

            first = false;
            return (403, new Dictionary<string, string> { ["retry-after"] = "7" },
                "{\"message\":\"You have exceeded a secondary rate limit. Please wait a few minutes before you try again.\"}");
        };
        var options = GitHubTestOptions.For(fake);
        using var client = new GitHubClient(options, time: time);

        var call = client.GetFileAsync("images.txt", "main", null, TestContext.Current.CancellationToken);
        var wait = await time.NextTimerAsync().WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);
        Assert.Equal(TimeSpan.FromSeconds(7), wait);
        time.Advance(wait);

        Assert.NotNull(await call.WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task A_429_secondary_limit_waits_for_retry_after_then_succeeds()
    {
        var time = new ManualTimeProvider(Start);
        await using var fake = await FakeWithListAsync(time);
        var first = true;
        fake.Intercept = _ =>
        {
            if (!first)
            {
                return null;
            }

            first = false;
            return (429, new Dictionary<string, string> { ["retry-after"] = "42" }, "{\"message\":\"You have exceeded a secondary rate limit.\"}");
        };
        var options = GitHubTestOptions.For(fake);
        options.Branch = "main";
        using var client = new GitHubClient(options, time: time);

        var call = client.GetFileAsync("images.txt", "main", null, TestContext.Current.CancellationToken);
        var wait = await time.NextTimerAsync().WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);

        Assert.Equal(TimeSpan.FromSeconds(42), wait);
        Assert.False(call.IsCompleted);
        Assert.Single(fake.Requests);
        time.Advance(wait);
        var file = await call.WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);
        Assert.Equal("python:3.12\n", file!.Text);
        Assert.Equal(2, fake.Requests.Count);
    }

    [Fact]
    public async Task A_429_with_a_spent_primary_budget_waits_until_x_ratelimit_reset()
    {
        var time = new ManualTimeProvider(Start);
        await using var fake = await FakeWithListAsync(time);
        var first = true;
        var reset = Start.AddSeconds(120).ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture);
        fake.Intercept = _ =>
        {
            if (!first)
            {
                return null;
            }

            first = false;
            return (429, new Dictionary<string, string> { ["x-ratelimit-remaining"] = "0", ["x-ratelimit-reset"] = reset }, "{\"message\":\"API rate limit exceeded\"}");
        };
        var options = GitHubTestOptions.For(fake);
        using var client = new GitHubClient(options, time: time);

        var call = client.GetFileAsync("images.txt", "main", null, TestContext.Current.CancellationToken);
        var wait = await time.NextTimerAsync().WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);

        Assert.Equal(TimeSpan.FromSeconds(120), wait);
        Assert.Equal(0, client.RateLimitRemaining);
        time.Advance(wait);
        Assert.NotNull(await call.WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken));
        Assert.Equal(2, fake.Requests.Count);
    }

    [Fact]
    public async Task A_reset_further_away_than_the_longest_wait_fails_at_once_as_transient_with_the_retry_time()
    {
        var time = new ManualTimeProvider(Start);
        await using var fake = await FakeWithListAsync(time);
        fake.RateLimitRemaining = 0;
        fake.RateLimitReset = Start.AddHours(2);
        var options = GitHubTestOptions.For(fake);
        using var client = new GitHubClient(options, time: time);

        var ex = await Assert.ThrowsAsync<GitHubException>(() => client.GetFileAsync("images.txt", "main", null, TestContext.Current.CancellationToken));

        Assert.True(ex.IsTransient);
        Assert.Equal(Start.AddHours(2), ex.RetryAt);
        Assert.Contains("rate limit", ex.Message, StringComparison.Ordinal);
        Assert.Single(fake.Requests);
    }

    [Fact]
    public async Task A_secondary_limit_without_retry_after_waits_a_minute_and_gives_up_after_the_retries()
    {
        var time = new ManualTimeProvider(Start);
        await using var fake = await GitHubFake.StartAsync();
        fake.Intercept = _ => (403, null, "{\"message\":\"You have exceeded a secondary rate limit.\"}");
        var options = GitHubTestOptions.For(fake);
        options.MaxRateLimitRetries = 1;
        using var client = new GitHubClient(options, time: time);

        var call = client.GetFileAsync("images.txt", "main", null, TestContext.Current.CancellationToken);
        var wait = await time.NextTimerAsync().WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);
        Assert.Equal(TimeSpan.FromMinutes(1), wait);
        time.Advance(wait);
        var ex = await Assert.ThrowsAsync<GitHubException>(() => call.WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken));

        Assert.True(ex.IsTransient);
        Assert.Equal(Start.AddMinutes(2), ex.RetryAt);
        Assert.Equal(2, fake.Requests.Count);
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

    /// <summary>A fake on the test's clock, holding a one-line list.</summary>
    private static async Task<GitHubFake> FakeWithListAsync(ManualTimeProvider time)
    {
        var fake = await GitHubFake.StartAsync();
        fake.Now = time.GetUtcNow;
        fake.CommitFile("images.txt", "python:3.12\n");
        return fake;
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
}
