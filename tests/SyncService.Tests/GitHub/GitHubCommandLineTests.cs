using CvmfsImages.Sync.CommandLine;
using CvmfsImages.Tests.SyncService.EndToEnd;
using CvmfsImages.TestSupport;
using Xunit;

namespace CvmfsImages.Tests.SyncService.GitHub;

/// <summary>The command line with <c>--list github:...</c>: every GitHub problem a user can cause is a clear message and an exit code.</summary>
public sealed class GitHubCommandLineTests
{
    [Fact]
    public async Task A_bad_GitHub_setting_is_a_usage_error_naming_the_key()
    {
        using var h = new SyncHarness();

        var (exit, _, error) = await RunAsync(h, "github:osg/images", "GitHub:ApiBaseUrl=http://github.example/api/v3");

        Assert.Equal(ExitCodes.Usage, exit);
        Assert.Contains("GitHub:ApiBaseUrl", error, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_malformed_github_location_is_a_usage_error()
    {
        using var h = new SyncHarness();

        var (exit, _, error) = await RunAsync(h, "github:just-an-owner");

        Assert.Equal(ExitCodes.Usage, exit);
        Assert.Contains("github:OWNER/REPO", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_list_GitHub_cannot_give_is_a_list_error_naming_the_source_and_nothing_is_published()
    {
        await using var fake = await GitHubFake.StartAsync();
        using var h = new SyncHarness();

        var (missing, _, missingError) = await RunAsync(h, "github:osg/images/nothing.txt@main", "GitHub:ApiBaseUrl=" + fake.ApiBaseUrl, "GitHub:Token=" + fake.Token);
        fake.CommitFile("images.txt", "ubuntu:24.04\n");
        var (refused, _, refusedError) = await RunAsync(h, "github:osg/images/images.txt@main", "GitHub:ApiBaseUrl=" + fake.ApiBaseUrl, "GitHub:Token=ghp_wrong_value_for_the_test");

        Assert.Equal(ExitCodes.ListInvalid, missing);
        Assert.Contains("github:osg/images/nothing.txt@main", missingError, StringComparison.Ordinal);
        Assert.Contains("404", missingError, StringComparison.Ordinal);
        Assert.Equal(ExitCodes.ListInvalid, refused);
        Assert.Contains("Bad credentials", refusedError, StringComparison.Ordinal);
        Assert.DoesNotContain("ghp_wrong_value_for_the_test", refusedError, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", missingError + refusedError, StringComparison.Ordinal);
        Assert.False(Directory.Exists(h.Root) && Directory.EnumerateFileSystemEntries(h.Root).Any(e => !Path.GetFileName(e).StartsWith('.')));
    }

    [Fact]
    public async Task Serve_with_its_http_port_already_taken_is_a_usage_error_naming_the_key()
    {
        await using var fake = await GitHubFake.StartAsync();
        fake.CommitFile("images.txt", "# empty\n");
        using var taken = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        taken.Start();
        var port = ((System.Net.IPEndPoint)taken.LocalEndpoint).Port;
        using var h = new SyncHarness();
        using var output = new StringWriter();
        using var error = new StringWriter();
        string[] args =
        [
            "serve", "--list", "github:osg/images", "--root", h.Root, "--set", "Sync:StateDirectory=" + h.State,
            "--set", "Http:Urls=http://127.0.0.1:" + port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--set", "GitHub:ApiBaseUrl=" + fake.ApiBaseUrl, "--set", "GitHub:Token=" + fake.Token,
            "--set", "GitHub:Webhook=true", "--set", "GitHub:WebhookSecret=s3cret-for-the-test",
        ];

        var exit = await Cli.RunAsync(args, output, error, TestContext.Current.CancellationToken).WaitAsync(TimeSpan.FromSeconds(90), TestContext.Current.CancellationToken);

        Assert.Equal(ExitCodes.Usage, exit);
        Assert.Contains("Http:Urls", error.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("s3cret-for-the-test", error.ToString() + output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Serve_with_the_old_webhook_prefix_is_a_usage_error_saying_what_to_set()
    {
        await using var fake = await GitHubFake.StartAsync();
        using var h = new SyncHarness();
        using var output = new StringWriter();
        using var error = new StringWriter();
        string[] args =
        [
            "serve", "--list", "github:osg/images", "--root", h.Root, "--set", "Sync:StateDirectory=" + h.State,
            "--set", "GitHub:ApiBaseUrl=" + fake.ApiBaseUrl, "--set", "GitHub:Token=" + fake.Token,
            "--set", "GitHub:WebhookPrefix=http://127.0.0.1:8089/github/", "--set", "GitHub:WebhookSecret=s3cret-for-the-test",
        ];

        var exit = await Cli.RunAsync(args, output, error, TestContext.Current.CancellationToken).WaitAsync(TimeSpan.FromSeconds(90), TestContext.Current.CancellationToken);

        Assert.Equal(ExitCodes.Usage, exit);
        Assert.Contains("GitHub:WebhookPrefix", error.ToString(), StringComparison.Ordinal);
        Assert.Contains("GitHub:Webhook to true", error.ToString(), StringComparison.Ordinal);
    }

    private static async Task<(int Exit, string Output, string Error)> RunAsync(SyncHarness h, string list, params string[] settings)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        string[] args = ["sync", "--once", "--list", list, "--root", h.Root, "--set", "Sync:StateDirectory=" + h.State, .. settings.SelectMany(s => new[] { "--set", s })];
        var exit = await Cli.RunAsync(args, output, error, TestContext.Current.CancellationToken);
        return (exit, output.ToString(), error.ToString());
    }
}
