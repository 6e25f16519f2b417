using System.Net;
using CvmfsImages.Sync.GitHub;
using CvmfsImages.Sync.Lists;
using CvmfsImages.TestSupport;
using Xunit;

namespace CvmfsImages.Tests.SyncService.GitHub;

public sealed class GitHubListSourceTests
{
    private const string List = "python:3.12\nubuntu:24.04\n";

    [Fact]
    public async Task First_read_sends_the_token_and_finds_the_default_branch_then_304_returns_null_and_costs_nothing()
    {
        await using var fake = await GitHubFake.StartAsync();
        fake.CommitFile("images.txt", List);
        var options = GitHubTestOptions.For(fake);
        using var client = new GitHubClient(options);
        using var source = new GitHubListSource(client, options);

        var first = await source.ReadAsync(TestContext.Current.CancellationToken);
        var budgetAfterFirst = fake.RateLimitRemaining;
        var second = await source.ReadAsync(TestContext.Current.CancellationToken);

        Assert.NotNull(first);
        Assert.Equal(List, first.Text);
        Assert.Equal("github:osg/images/images.txt@main", first.Source);
        Assert.Null(second);
        Assert.Equal(budgetAfterFirst, fake.RateLimitRemaining);

        var requests = fake.Requests;
        Assert.Equal(["/api/v3/repos/osg/images", "/api/v3/repos/osg/images/contents/images.txt", "/api/v3/repos/osg/images/contents/images.txt"],
            requests.Select(r => r.Path));
        Assert.All(requests, r => Assert.Equal("Bearer " + fake.Token, r.Header("Authorization")));
        Assert.All(requests, r => Assert.Equal("2022-11-28", r.Header("X-GitHub-Api-Version")));
        Assert.EndsWith("?ref=main", requests[1].PathAndQuery, StringComparison.Ordinal);
        Assert.Contains("application/vnd.github.raw+json", requests[1].Header("Accept"), StringComparison.Ordinal);
        Assert.Null(requests[1].Header("If-None-Match"));
        Assert.Equal(first.Version, requests[2].Header("If-None-Match"));
        Assert.StartsWith("W/\"", first.Version, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")]
    [InlineData("/")]
    public async Task A_GitHub_Enterprise_base_url_keeps_its_api_v3_path_with_or_without_a_trailing_slash(string suffix)
    {
        await using var fake = await GitHubFake.StartAsync();
        fake.CommitFile("images.txt", List);
        var options = GitHubTestOptions.For(fake);
        options.ApiBaseUrl = new Uri(fake.ApiBaseUrl.AbsoluteUri.TrimEnd('/') + suffix);
        options.Branch = "main";
        using var client = new GitHubClient(options);
        using var source = new GitHubListSource(client, options);

        Assert.NotNull(await source.ReadAsync(TestContext.Current.CancellationToken));

        Assert.Equal("/api/v3/repos/osg/images/contents/images.txt?ref=main", Assert.Single(fake.Requests).PathAndQuery);
    }

    [Fact]
    public async Task A_changed_list_returns_a_new_snapshot_with_a_new_version()
    {
        await using var fake = await GitHubFake.StartAsync();
        fake.CommitFile("images.txt", List);
        var options = GitHubTestOptions.For(fake);
        options.Branch = "main";
        using var client = new GitHubClient(options);
        using var source = new GitHubListSource(client, options);

        var first = await source.ReadAsync(TestContext.Current.CancellationToken);
        fake.CommitFile("images.txt", List + "almalinux:9\n");
        var second = await source.ReadAsync(TestContext.Current.CancellationToken);
        var third = await source.ReadAsync(TestContext.Current.CancellationToken);

        Assert.NotNull(first);
        Assert.NotNull(second);
        Assert.Null(third);
        Assert.EndsWith("almalinux:9\n", second.Text, StringComparison.Ordinal);
        Assert.NotEqual(first.Version, second.Version);
        Assert.DoesNotContain(fake.Requests, r => r.Path == "/api/v3/repos/osg/images"); // branch configured: no lookup
    }

    [Fact]
    public async Task A_missing_list_file_is_a_404_error_naming_the_path()
    {
        await using var fake = await GitHubFake.StartAsync();
        var options = GitHubTestOptions.For(fake);
        using var client = new GitHubClient(options);
        using var source = new GitHubListSource(client, options);

        var ex = await Assert.ThrowsAsync<ListReadException>(() => source.ReadAsync(TestContext.Current.CancellationToken));

        Assert.Equal("github:osg/images/images.txt@(default branch)", ex.Location);
        Assert.Contains("contents/images.txt", ex.Message, StringComparison.Ordinal);
        var inner = Assert.IsType<GitHubException>(ex.InnerException);
        Assert.Equal(HttpStatusCode.NotFound, inner.Status);
        Assert.False(inner.IsTransient);
    }

    [Fact]
    public async Task A_list_larger_than_the_limit_is_refused()
    {
        await using var fake = await GitHubFake.StartAsync();
        fake.CommitFile("images.txt", new string('#', 5000));
        var options = GitHubTestOptions.For(fake);
        options.MaxListBytes = 4096;
        using var client = new GitHubClient(options);
        using var source = new GitHubListSource(client, options);

        var ex = await Assert.ThrowsAsync<ListReadException>(() => source.ReadAsync(TestContext.Current.CancellationToken));

        Assert.IsType<InvalidDataException>(ex.InnerException);
        Assert.Contains("images.txt at main is larger than 4096 bytes (GitHub:MaxListBytes)", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Bad_credentials_fail_without_the_token_in_the_message()
    {
        await using var fake = await GitHubFake.StartAsync();
        fake.CommitFile("images.txt", List);
        var options = GitHubTestOptions.For(fake);
        options.Token = "ghp_wrong_token_value";
        using var client = new GitHubClient(options);
        using var source = new GitHubListSource(client, options);

        var ex = await Assert.ThrowsAsync<ListReadException>(() => source.ReadAsync(TestContext.Current.CancellationToken));

        Assert.Equal(HttpStatusCode.Unauthorized, Assert.IsType<GitHubException>(ex.InnerException).Status);
        Assert.Contains("Bad credentials", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("ghp_wrong_token_value", ex.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_token_comes_from_the_environment_variable_when_not_configured()
    {
        await using var fake = await GitHubFake.StartAsync();
        fake.CommitFile("images.txt", List);
        var options = GitHubTestOptions.For(fake);
        options.Token = null;
        options.TokenEnvironmentVariable = "CVMFS_IMAGES_TEST_GITHUB_TOKEN_" + Guid.NewGuid().ToString("N");
        Environment.SetEnvironmentVariable(options.TokenEnvironmentVariable, fake.Token);
        try
        {
            using var client = new GitHubClient(options);
            using var source = new GitHubListSource(client, options);
            var snapshot = await source.ReadAsync(TestContext.Current.CancellationToken);
            Assert.NotNull(snapshot);
        }
        finally
        {
            Environment.SetEnvironmentVariable(options.TokenEnvironmentVariable, null);
        }
    }
}
