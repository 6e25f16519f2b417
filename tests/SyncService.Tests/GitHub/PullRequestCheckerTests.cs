using System.Net;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using CvmfsImages.Publisher.Publishing;
using CvmfsImages.Registry;
using CvmfsImages.Sync.GitHub;
using CvmfsImages.TestSupport;
using CvmfsImages.TestSupport.Images;
using Xunit;

namespace CvmfsImages.Tests.SyncService.GitHub;

public sealed partial class PullRequestCheckerTests(RegistryFixture fixture) : IClassFixture<RegistryFixture>, IAsyncLifetime
{
    private const string CvmfsRoot = "/cvmfs/singularity.opensciencegrid.org";
    private static readonly SemaphoreSlim PushOnce = new(1, 1);
    private static string? _pushedTo;
    private GitHubFake _fake = null!;
    private RegistryClient _registry = null!;
    private GitHubClient _client = null!;
    private PullRequestChecker _checker = null!;
    private GitHubOptions _options = null!;

    private string Host => fixture.Registry.Host;

    /// <summary>The test registry listens on loopback, which PR checks refuse unless staff allowed it.</summary>
    private PullRequestCheckSettings Settings => SettingsAllowing(Host);

    private static PullRequestCheckSettings SettingsAllowing(params string[] registries) =>
        new([Platform.LinuxAmd64], PathStyle.Osg, CvmfsRoot) { Registries = new CheckedRegistries(registries, []) };

    public async ValueTask InitializeAsync()
    {
        _fake = await GitHubFake.StartAsync();
        _options = GitHubTestOptions.For(_fake);
        _client = new GitHubClient(_options);
        _registry = new RegistryClient(new RegistryClientOptions { MaxRetries = 0, RequestTimeout = TimeSpan.FromSeconds(20) });
        _checker = new PullRequestChecker(_client, _registry, _options, Settings);
    }

    public async ValueTask DisposeAsync()
    {
        await _fake.DisposeAsync();
        _client.Dispose();
        _registry.Dispose();
    }

    [Fact]
    public async Task A_PR_with_one_good_and_one_missing_image_fails_naming_the_bad_line_and_shows_the_good_path()
    {
        await PushImagesAsync();
        _fake.CommitFile("images.txt", "# list\nubuntu:24.04\n");
        var pr = _fake.OpenPullRequest("images.txt", $"# list\nubuntu:24.04\n{Host}/vo/good:1\n{Host}/vo/missing:1   # please\n");

        var results = await _checker.CheckOpenPullRequestsAsync(TestContext.Current.CancellationToken);

        var result = Assert.Single(results);
        Assert.Equal("failure", result.State);
        Assert.Equal([3, 4], result.Lines.Select(l => l.LineNumber));
        Assert.Equal(LineVerdictKind.Ok, result.Lines[0].Kind);
        Assert.Equal($"{CvmfsRoot}/vo/good:1", result.Lines[0].CvmfsPath);
        Assert.Matches(@"resolves: linux/amd64 \d+(\.\d)? (B|KiB)", result.Lines[0].Message);
        Assert.Equal(LineVerdictKind.Problem, result.Lines[1].Kind);
        Assert.StartsWith("not found in its registry", result.Lines[1].Message, StringComparison.Ordinal);

        var status = Assert.Single(_fake.Statuses(pr.HeadSha));
        Assert.Equal("failure", status["state"]!.GetValue<string>());
        Assert.Equal("cvmfs-image-sync/list", status["context"]!.GetValue<string>());
        Assert.Equal("1 of 2 changed line(s) need a fix", status["description"]!.GetValue<string>());
        var statusRequest = _fake.Requests.Single(r => r.Method == "POST" && r.Path.Contains("/statuses/", StringComparison.Ordinal));
        Assert.Equal($"/api/v3/repos/osg/images/statuses/{pr.HeadSha}", statusRequest.Path);
        Assert.Equal("Bearer " + _fake.Token, statusRequest.Header("Authorization"));

        var comment = Assert.Single(_fake.Comments(pr.Number));
        Assert.StartsWith(PullRequestChecker.Marker, comment.Body, StringComparison.Ordinal);
        Assert.Contains($"| 3 | `{Host}/vo/good:1` | ✅ resolves", comment.Body, StringComparison.Ordinal);
        Assert.Contains($"`{CvmfsRoot}/vo/good:1`", comment.Body, StringComparison.Ordinal);
        Assert.Contains($"| 4 | `{Host}/vo/missing:1` | ❌ not found in its registry", comment.Body, StringComparison.Ordinal);
        Assert.DoesNotContain("ubuntu", comment.Body, StringComparison.Ordinal);
        var sent = JsonNode.Parse(_fake.Requests.Single(r => r.Method == "POST" && r.Path.EndsWith("/comments", StringComparison.Ordinal)).Body)!;
        Assert.Equal(comment.Body, sent["body"]!.GetValue<string>());
    }

    [Fact]
    public async Task Broken_lines_the_PR_does_not_touch_do_not_fail_it()
    {
        await PushImagesAsync();
        var broken = $"{Host}/vo/gone:1\nthis is not a reference\n{Host}/vo/good:1\n{Host}/vo/good:1\n";
        _fake.CommitFile("images.txt", broken);
        var pr = _fake.OpenPullRequest("images.txt", broken + $"{Host}/vo/good:2\n");

        var result = Assert.Single(await _checker.CheckOpenPullRequestsAsync(TestContext.Current.CancellationToken));

        Assert.Equal("success", result.State);
        var line = Assert.Single(result.Lines);
        Assert.Equal(5, line.LineNumber);
        Assert.Equal("success", Assert.Single(_fake.Statuses(pr.HeadSha))["state"]!.GetValue<string>());
        Assert.DoesNotContain("gone", Assert.Single(_fake.Comments(pr.Number)).Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Duplicates_and_path_collisions_with_untouched_lines_are_the_PRs_problem()
    {
        _fake.CommitFile("images.txt", "docker.io/org/tool:1\npython:3.12\n");
        // Line 3 names python:3.12 again (spelled differently); line 4 collides with line 1 under OSG paths.
        var pr = _fake.OpenPullRequest("images.txt", "docker.io/org/tool:1\npython:3.12\ndocker.io/library/python:3.12\nghcr.io/org/tool:1\n");

        var result = Assert.Single(await _checker.CheckOpenPullRequestsAsync(TestContext.Current.CancellationToken));

        Assert.Equal("failure", result.State);
        Assert.All(result.Lines, l => Assert.Equal(LineVerdictKind.Problem, l.Kind));
        Assert.Contains("listed twice: line 2", result.Lines[0].Message, StringComparison.Ordinal);
        Assert.Contains("(line 1) would both be published at 'org/tool:1'", result.Lines[1].Message, StringComparison.Ordinal);
        Assert.Equal("2 of 2 changed line(s) need a fix", Assert.Single(_fake.Statuses(pr.HeadSha))["description"]!.GetValue<string>());
    }

    [Fact]
    public async Task Every_configured_platform_must_resolve_and_each_gets_its_size()
    {
        await PushImagesAsync();
        using (var pusher = new RegistryClient(new RegistryClientOptions()))
        {
            await TestImage.Create().WithPlatforms(Platform.LinuxAmd64, Platform.Parse("linux/arm64"))
                .WithLayer(TestFile.Text("etc/hello", "both\n")).PushAsync(pusher, $"{Host}/vo/multi:1", TestContext.Current.CancellationToken);
        }

        _fake.CommitFile("images.txt", "ubuntu:24.04\n");
        _fake.OpenPullRequest("images.txt", $"ubuntu:24.04\n{Host}/vo/multi:1\n{Host}/vo/good:1\n");
        var settings = new PullRequestCheckSettings([Platform.LinuxAmd64, Platform.Parse("linux/arm64")], PathStyle.Osg, CvmfsRoot)
        {
            Registries = new CheckedRegistries([Host], []),
        };
        var checker = new PullRequestChecker(_client, _registry, _options, settings);

        var result = Assert.Single(await checker.CheckOpenPullRequestsAsync(TestContext.Current.CancellationToken));

        Assert.Equal("failure", result.State);
        Assert.Equal(LineVerdictKind.Ok, result.Lines[0].Kind);
        Assert.Matches(@"resolves: linux/amd64 \d.*, linux/arm64 \d", result.Lines[0].Message);
        Assert.Equal(LineVerdictKind.Problem, result.Lines[1].Kind); // vo/good:1 is amd64 only
        Assert.Contains("linux/arm64", result.Lines[1].Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Without_a_patch_the_changed_lines_come_from_comparing_base_and_head()
    {
        await PushImagesAsync();
        _fake.CommitFile("images.txt", $"{Host}/vo/gone:1\n");
        var pr = _fake.OpenPullRequest("images.txt", $"{Host}/vo/good:1\n{Host}/vo/gone:1\n");
        pr.IncludePatch = false;

        var result = Assert.Single(await _checker.CheckOpenPullRequestsAsync(TestContext.Current.CancellationToken));

        Assert.Equal("success", result.State);
        Assert.Equal(1, Assert.Single(result.Lines).LineNumber);
        Assert.Contains(_fake.Requests, r => r.PathAndQuery.EndsWith("contents/images.txt?ref=" + pr.BaseSha, StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_comment_is_edited_in_place_on_a_new_head_and_never_duplicated()
    {
        await PushImagesAsync();
        _fake.CommitFile("images.txt", "ubuntu:24.04\n");
        var pr = _fake.OpenPullRequest("images.txt", $"ubuntu:24.04\n{Host}/vo/missing:1\n");
        // A VO user quoting the marker: not the bot's comment, never edited.
        var quote = _fake.AddComment(pr.Number, "vo-user", PullRequestChecker.Marker + " quoted");

        await _checker.CheckOpenPullRequestsAsync(TestContext.Current.CancellationToken);
        await _checker.CheckOpenPullRequestsAsync(TestContext.Current.CancellationToken); // same head: nothing new
        _fake.UpdatePullRequest(pr.Number, $"ubuntu:24.04\n{Host}/vo/good:1\n");
        await _checker.CheckOpenPullRequestsAsync(TestContext.Current.CancellationToken);

        var comments = _fake.Comments(pr.Number);
        Assert.Equal(2, comments.Count);
        var mine = Assert.Single(comments, c => c.Login == _fake.BotLogin);
        Assert.Equal(1, mine.Edits);
        Assert.Contains("vo/good:1", mine.Body, StringComparison.Ordinal);
        Assert.DoesNotContain("missing", mine.Body, StringComparison.Ordinal);
        Assert.Equal(0, quote.Edits);
        Assert.Equal("success", Assert.Single(_fake.Statuses(pr.HeadSha))["state"]!.GetValue<string>());
        Assert.Single(_fake.Requests, r => r.Method == "POST" && r.Path.EndsWith("/comments", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_restarted_checker_finds_its_comment_again_and_never_writes_a_second_one()
    {
        await PushImagesAsync();
        _fake.CommitFile("images.txt", "ubuntu:24.04\n");
        var pr = _fake.OpenPullRequest("images.txt", $"ubuntu:24.04\n{Host}/vo/missing:1\n");
        await _checker.CheckOpenPullRequestsAsync(TestContext.Current.CancellationToken);

        // New processes: nothing in memory; the comment is found by its marker and the bot's login.
        await new PullRequestChecker(_client, _registry, _options, Settings).CheckOpenPullRequestsAsync(TestContext.Current.CancellationToken);
        var unchanged = Assert.Single(_fake.Comments(pr.Number));
        Assert.Equal(0, unchanged.Edits); // same head, same verdicts: the same text is not written again
        _fake.UpdatePullRequest(pr.Number, $"ubuntu:24.04\n{Host}/vo/good:1\n");
        await new PullRequestChecker(_client, _registry, _options, Settings).CheckOpenPullRequestsAsync(TestContext.Current.CancellationToken);

        var comment = Assert.Single(_fake.Comments(pr.Number));
        Assert.Equal(1, comment.Edits);
        Assert.Contains("vo/good:1", comment.Body, StringComparison.Ordinal);
        Assert.Single(_fake.Requests, r => r.Method == "POST" && r.Path.EndsWith("/comments", StringComparison.Ordinal));
        Assert.Equal("success", _fake.Statuses(pr.HeadSha)[^1]["state"]!.GetValue<string>());
    }

    [Fact]
    public async Task An_oversized_PR_file_fails_naming_the_limit_and_lines_past_the_line_limit_are_problems()
    {
        var options = GitHubTestOptions.For(_fake);
        options.MaxListBytes = 4096;
        options.MaxListLines = 5;
        using var bounded = new GitHubClient(options);
        var checker = new PullRequestChecker(bounded, _registry, options, Settings);
        _fake.CommitFile("images.txt", "ubuntu:24.04\n");
        var big = _fake.OpenPullRequest("images.txt", "ubuntu:24.04\n" + new string('#', 5000) + "\n");
        var longer = _fake.OpenPullRequest("images.txt", "ubuntu:24.04\n# 2\n# 3\n# 4\n# 5\nvo/six:1\n");

        var results = await checker.CheckOpenPullRequestsAsync(TestContext.Current.CancellationToken);

        var tooBig = results.Single(r => r.Number == big.Number);
        Assert.Equal("failure", tooBig.State);
        Assert.Contains("larger than 4096 bytes (GitHub:MaxListBytes)", tooBig.Description, StringComparison.Ordinal);
        Assert.Equal("failure", Assert.Single(_fake.Statuses(big.HeadSha))["state"]!.GetValue<string>());
        var tooLong = results.Single(r => r.Number == longer.Number);
        Assert.Equal("failure", tooLong.State);
        var line = Assert.Single(tooLong.Lines);
        Assert.Equal((6, LineVerdictKind.Problem), (line.LineNumber, line.Kind));
        Assert.Contains("more than 5 lines", line.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_registry_outage_gives_pending_will_retry_and_is_checked_again()
    {
        _fake.CommitFile("images.txt", "ubuntu:24.04\n");
        var down = "127.0.0.1:" + LoopbackPort.Free();
        var pr = _fake.OpenPullRequest("images.txt", $"ubuntu:24.04\n{down}/vo/tool:1\n");
        var checker = new PullRequestChecker(_client, _registry, _options, SettingsAllowing(down));

        var first = Assert.Single(await checker.CheckOpenPullRequestsAsync(TestContext.Current.CancellationToken));
        var second = Assert.Single(await checker.CheckOpenPullRequestsAsync(TestContext.Current.CancellationToken));

        Assert.Equal("pending", first.State);
        Assert.Equal(LineVerdictKind.Retry, Assert.Single(first.Lines).Kind);
        Assert.Equal("pending", second.State); // pending is not final: checked again on the next poll
        var status = Assert.Single(_fake.Statuses(pr.HeadSha)); // the same pending status is not posted again
        Assert.Equal("pending", status["state"]!.GetValue<string>());
        Assert.Contains("will retry", status["description"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(2, _fake.Requests.Count(r => r.PathAndQuery.Contains("contents/images.txt?ref=" + pr.HeadSha, StringComparison.Ordinal)));
        var comment = Assert.Single(_fake.Comments(pr.Number));
        Assert.Contains("⏳", comment.Body, StringComparison.Ordinal);
        Assert.DoesNotContain("❌", comment.Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PR_lines_naming_internal_hosts_are_refused_without_contacting_them()
    {
        using var trap = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        trap.Start();
        var port = ((System.Net.IPEndPoint)trap.LocalEndpoint).Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        _fake.CommitFile("images.txt", "ubuntu:24.04\n");
        var pr = _fake.OpenPullRequest("images.txt", $"ubuntu:24.04\n127.0.0.1:{port}/vo/probe:1\nlocalhost:{port}/vo/probe:2\n10.1.2.3/vo/probe:3\nintranet:5000/vo/probe:4\n[::1]:{port}/vo/probe:5\n");
        var checker = new PullRequestChecker(_client, _registry, _options, SettingsAllowing());

        var result = Assert.Single(await checker.CheckOpenPullRequestsAsync(TestContext.Current.CancellationToken));

        Assert.Equal("failure", result.State);
        Assert.Equal(5, result.Lines.Count);
        Assert.All(result.Lines, l => Assert.Equal(LineVerdictKind.Problem, l.Kind));
        Assert.All(result.Lines, l => Assert.Contains("does not contact it", l.Message, StringComparison.Ordinal));
        Assert.False(trap.Pending(), "the check connected to a loopback port named in the PR");
        Assert.Contains("does not contact it", Assert.Single(_fake.Comments(pr.Number)).Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task With_an_allow_list_other_registries_are_refused_naming_the_setting()
    {
        await PushImagesAsync();
        _fake.CommitFile("images.txt", "ubuntu:24.04\n");
        _fake.OpenPullRequest("images.txt", $"ubuntu:24.04\n{Host}/vo/good:1\nghcr.io/vo/tool:1\n");

        var result = Assert.Single(await _checker.CheckOpenPullRequestsAsync(TestContext.Current.CancellationToken));

        Assert.Equal(LineVerdictKind.Ok, result.Lines[0].Kind);
        Assert.Equal(LineVerdictKind.Problem, result.Lines[1].Kind);
        Assert.Contains("(GitHub:AllowedRegistries); ghcr.io is not one of them", result.Lines[1].Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("127.0.0.1:5000", false)]
    [InlineData("10.0.0.1", false)]
    [InlineData("172.20.1.1:443", false)]
    [InlineData("192.168.1.1", false)]
    [InlineData("169.254.169.254", false)]
    [InlineData("0.0.0.0:80", false)]
    [InlineData("[::1]:5000", false)]
    [InlineData("[fd00::1]", false)]
    [InlineData("[fe80::1]:5000", false)]
    [InlineData("[::ffff:127.0.0.1]", false)]
    [InlineData("localhost:5000", false)]
    [InlineData("registry.localhost", false)]
    [InlineData("intranet:5000", false)]
    [InlineData("docker.io", true)]
    [InlineData("ghcr.io", true)]
    [InlineData("hub.opensciencegrid.org", true)]
    [InlineData("8.8.8.8:5000", true)]
    [InlineData("172.32.0.1", true)]
    public void Without_an_allow_list_internal_registry_hosts_are_refused(string registry, bool allowed)
    {
        Assert.Equal(allowed, CheckedRegistries.Public.Refusal(registry) is null);
        Assert.Null(new CheckedRegistries([], [registry]).Refusal(registry)); // configured under Registry:Hosts: staff's choice
    }

    [Fact]
    public async Task Hostile_line_text_is_escaped_in_the_comment()
    {
        _fake.CommitFile("images.txt", "ubuntu:24.04\n");
        var pr = _fake.OpenPullRequest("images.txt", "ubuntu:24.04\n@org/admins|<img src=x onerror=alert(1)>`**x**`\n");

        var result = Assert.Single(await _checker.CheckOpenPullRequestsAsync(TestContext.Current.CancellationToken));

        Assert.Equal("failure", result.State);
        var body = Assert.Single(_fake.Comments(pr.Number)).Body;
        var outsideCode = CodeSpan().Replace(body, string.Empty);
        Assert.DoesNotContain("@org", outsideCode, StringComparison.Ordinal);
        Assert.DoesNotContain("<img", outsideCode, StringComparison.Ordinal);
        Assert.DoesNotContain("**x**", outsideCode, StringComparison.Ordinal);
        var row = body.Split('\n').Single(l => l.StartsWith("| 2 |", StringComparison.Ordinal));
        Assert.Equal(5, row.Count(c => c == '|')); // the line's '|' cannot add a column
    }

    [Fact]
    public async Task A_PR_that_does_not_touch_the_list_is_left_alone()
    {
        _fake.CommitFile("images.txt", "ubuntu:24.04\n");
        _fake.OpenPullRequest("other.txt", "hello\n");

        Assert.Empty(await _checker.CheckOpenPullRequestsAsync(TestContext.Current.CancellationToken));
        Assert.DoesNotContain(_fake.Requests, r => r.Method != "GET");
    }

    [Fact]
    public async Task A_huge_change_is_refused_and_long_comments_stay_under_GitHubs_limit()
    {
        _fake.CommitFile("images.txt", "ubuntu:24.04\n");
        var many = string.Concat(Enumerable.Range(0, 150).Select(i => $"bad line {i} {new string('x', 300)}\n"));
        var pr = _fake.OpenPullRequest("images.txt", "ubuntu:24.04\n" + many);

        var result = Assert.Single(await _checker.CheckOpenPullRequestsAsync(TestContext.Current.CancellationToken));

        Assert.Equal("failure", result.State);
        Assert.Equal(150, result.Lines.Count);
        var body = Assert.Single(_fake.Comments(pr.Number)).Body;
        Assert.True(body.Length < 65_536, $"comment has {body.Length} characters");
        Assert.Contains("more line(s), not shown", body, StringComparison.Ordinal);

        var tooMany = _fake.OpenPullRequest("images.txt", "ubuntu:24.04\n" + string.Concat(Enumerable.Range(0, 201).Select(i => $"vo/img:{i}\n")));
        var refused = (await _checker.CheckOpenPullRequestsAsync(TestContext.Current.CancellationToken)).Single(r => r.Number == tooMany.Number);
        Assert.Equal("failure", refused.State);
        Assert.Equal("201 changed lines; at most 200 are checked at once: please split the pull request", refused.Description);
    }

    [GeneratedRegex("`[^`\n]*`")]
    private static partial Regex CodeSpan();

    private async Task PushImagesAsync()
    {
        await PushOnce.WaitAsync(TestContext.Current.CancellationToken);
        try
        {
            if (_pushedTo == Host)
            {
                return;
            }

            using var pusher = new RegistryClient(new RegistryClientOptions());
            await TestImage.Create().WithLayer(TestFile.Text("etc/hello", "good 1\n")).PushAsync(pusher, $"{Host}/vo/good:1", TestContext.Current.CancellationToken);
            await TestImage.Create().WithLayer(TestFile.Text("etc/hello", "good 2\n")).PushAsync(pusher, $"{Host}/vo/good:2", TestContext.Current.CancellationToken);
            _pushedTo = Host;
        }
        finally
        {
            PushOnce.Release();
        }
    }
}
