using CvmfsImages.Registry;
using CvmfsImages.Sync.CommandLine;
using CvmfsImages.Sync.Configuration;
using CvmfsImages.Sync.Execution;
using CvmfsImages.Sync.GitHub;
using CvmfsImages.Sync.Lists;
using CvmfsImages.Tests.SyncService.EndToEnd;
using CvmfsImages.TestSupport;
using CvmfsImages.TestSupport.Images;
using Xunit;

namespace CvmfsImages.Tests.SyncService.GitHub;

/// <summary>
/// The whole GitHub flow on real parts wired by the service's own composition root (<c>Sync:List=github:...</c>):
/// a PR is opened in the GitHub fake and checked; it is merged; a sync pass reads the list from the fake, pulls the
/// image from the real registry and publishes it into the directory backend; the PR gets the notice with the path.
/// </summary>
public sealed class GitHubEndToEndTests(RegistryFixture fixture) : IClassFixture<RegistryFixture>
{
    [Fact]
    public async Task A_PR_is_checked_merged_published_and_told_where_its_image_is()
    {
        var ct = TestContext.Current.CancellationToken;
        var registry = fixture.Registry;
        using (var pusher = new RegistryClient(new RegistryClientOptions()))
        {
            await TestImage.Create().WithLayer(TestFile.Dir("etc"), TestFile.Text("etc/hello", "from the PR\n")).PushAsync(pusher, $"{registry.Host}/vo/tool:1", ct);
        }

        await using var fake = await GitHubFake.StartAsync();
        fake.CommitFile("images.txt", "# the list\n");
        using var h = new SyncHarness();
        var settings = SyncSettings.Load(
            new CommandLineOverrides
            {
                List = "github:osg/images/images.txt",
                Root = h.Root,
                Settings =
                [
                    "Sync:StateDirectory=" + h.State,
                    "Registry:MaxRetries=1",
                    "GitHub:ApiBaseUrl=" + fake.ApiBaseUrl,
                    "GitHub:Token=" + fake.Token,
                    "GitHub:BotLogin=" + fake.BotLogin,
                    "GitHub:AllowedRegistries:0=" + registry.Host, // the test registry is on loopback
                ],
            },
            includeSystemFile: false);
        var logs = new CapturingLoggerProvider();
        await using var context = CommandContext.Create(settings, verbose: false, logs.Register);
        Assert.IsType<GitHubListSource>(context.Get<IListSource>());

        // 1. The PR is opened and checked: success, with the path it will get.
        var pr = fake.OpenPullRequest("images.txt", $"# the list\n{registry.Host}/vo/tool:1   # our tool\n");
        var check = Assert.Single(await context.Get<PullRequestChecker>().CheckOpenPullRequestsAsync(ct));
        Assert.Equal("success", check.State);
        var expectedPath = Path.Combine(h.Root, "vo/tool:1");
        Assert.Equal(expectedPath, Assert.Single(check.Lines).CvmfsPath);

        // 2. Merged; the sync pass reads the new list from GitHub and publishes the image.
        fake.MergePullRequest(pr.Number);
        var report = await context.Get<SyncRunner>().SyncChangesAsync(null, ct);
        Assert.NotNull(report);
        Assert.True(report.Succeeded, string.Join("; ", report.Results.Select(r => $"{r.Outcome} {r.Detail}")));
        Assert.Equal("from the PR\n", h.ReadFromImage("vo/tool:1", "etc/hello"));

        // 3. The PR is told: one notice comment with the path, the digest and the size.
        var notice = Assert.Single(fake.Comments(pr.Number), c => c.Body.StartsWith(PublishNoticeObserver.Marker, StringComparison.Ordinal));
        Assert.True(notice.Body.Contains($"`{expectedPath}`", StringComparison.Ordinal), notice.Body);
        Assert.Matches("`sha256:[0-9a-f]{64}`", notice.Body);

        // 4. Another pass (list unchanged: 304) and a full one: no second notice.
        Assert.Null(await context.Get<SyncRunner>().SyncChangesAsync(null, ct));
        await context.Get<SyncRunner>().SyncAllAsync(null, ct);
        Assert.Equal(2, fake.Comments(pr.Number).Count); // the check comment and the notice
        Assert.Equal(0, notice.Edits);

        // 5. The token never reaches a log line, at any level (the capture sees the client's Debug lines).
        Assert.Contains("GitHub GET repos/osg/images/contents/images.txt", logs.Text, StringComparison.Ordinal);
        Assert.DoesNotContain(fake.Token!, logs.Text, StringComparison.Ordinal);
    }
}
