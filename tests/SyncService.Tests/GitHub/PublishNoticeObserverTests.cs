using CvmfsImages.Publisher.Publishing;
using CvmfsImages.Registry;
using CvmfsImages.Sync;
using CvmfsImages.Sync.GitHub;
using CvmfsImages.TestSupport;
using Xunit;

namespace CvmfsImages.Tests.SyncService.GitHub;

public sealed class PublishNoticeObserverTests : IAsyncLifetime
{
    private const string CvmfsRoot = "/cvmfs/singularity.opensciencegrid.org";
    private const string Digest = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    private static readonly PullRequestCheckSettings Settings = new([Platform.LinuxAmd64], PathStyle.Osg, CvmfsRoot);
    private readonly TempDirectory _dir = new("github-notices");
    private GitHubFake _fake = null!;
    private GitHubOptions _options = null!;

    public async ValueTask InitializeAsync()
    {
        _fake = await GitHubFake.StartAsync();
        _options = GitHubTestOptions.For(_fake, _dir.Combine("state", "notices.db"));
        _fake.CommitFile("images.txt", "ubuntu:24.04\n");
    }

    public async ValueTask DisposeAsync()
    {
        await _fake.DisposeAsync();
        _dir.Dispose();
    }

    [Fact]
    public async Task A_published_image_is_announced_once_on_its_PR_and_a_restart_does_not_announce_it_again()
    {
        var pr = _fake.OpenPullRequest("images.txt", "ubuntu:24.04\nvo/tool:1.0   # for our analysis\n");
        _fake.MergePullRequest(pr.Number);
        var notice = new PublishedImageNotice(2, "vo/tool:1.0", "docker.io/vo/tool:1.0", $"{CvmfsRoot}/vo/tool:1.0", Digest, 12_345_678);

        using (var observer = NewObserver())
        {
            await observer.OnImagePublishedAsync(notice, TestContext.Current.CancellationToken);
            await observer.OnImagePublishedAsync(notice, TestContext.Current.CancellationToken); // same pass, same image
        }

        var comment = Assert.Single(_fake.Comments(pr.Number));
        Assert.StartsWith(PublishNoticeObserver.Marker, comment.Body, StringComparison.Ordinal);
        Assert.Contains($"| `vo/tool:1.0` | ✅ published | `{CvmfsRoot}/vo/tool:1.0` | `{Digest}` | 11.8 MiB |", comment.Body, StringComparison.Ordinal);
        Assert.Equal(0, comment.Edits);

        // A new process: new observer, same SQLite file.
        var before = _fake.Requests.Count(r => r.Method != "GET");
        using (var restarted = NewObserver())
        {
            await restarted.OnImagePublishedAsync(notice, TestContext.Current.CancellationToken);
        }

        Assert.Single(_fake.Comments(pr.Number));
        Assert.Equal(0, _fake.Comments(pr.Number)[0].Edits);
        Assert.Equal(before, _fake.Requests.Count(r => r.Method != "GET"));
    }

    [Fact]
    public async Task A_notice_comment_written_just_before_a_crash_is_adopted_not_written_twice()
    {
        var pr = _fake.OpenPullRequest("images.txt", "ubuntu:24.04\nvo/tool:4\n");
        _fake.MergePullRequest(pr.Number);
        // A user quoting the marker (not ours), then our comment whose id the crashed process never stored.
        var quote = _fake.AddComment(pr.Number, "vo-user", PublishNoticeObserver.Marker + " quoted");
        var orphan = _fake.AddComment(pr.Number, _fake.BotLogin, PublishNoticeObserver.Marker + "\n(written before the crash)");

        using (var observer = NewObserver())
        {
            await observer.OnImagePublishedAsync(new PublishedImageNotice(2, "vo/tool:4", "docker.io/vo/tool:4", $"{CvmfsRoot}/vo/tool:4", Digest, 1), TestContext.Current.CancellationToken);
        }

        Assert.Equal(2, _fake.Comments(pr.Number).Count);
        Assert.Equal(1, orphan.Edits);
        Assert.Contains($"`{CvmfsRoot}/vo/tool:4`", orphan.Body, StringComparison.Ordinal);
        Assert.Equal(0, quote.Edits);
        Assert.DoesNotContain(_fake.Requests, r => r.Method == "POST" && r.Path.EndsWith("/comments", StringComparison.Ordinal));

        // A later failure of the same line (after a restart) does not reopen it.
        using (var observer = NewObserver())
        {
            await observer.OnImageFailedAsync(new FailedImageNotice(2, "vo/tool:4", "docker.io/vo/tool:4", "later failure"), TestContext.Current.CancellationToken);
        }

        Assert.Equal(1, orphan.Edits);
    }

    [Fact]
    public async Task A_failure_is_explained_and_the_same_comment_turns_green_when_the_image_is_published()
    {
        var pr = _fake.OpenPullRequest("images.txt", "ubuntu:24.04\nvo/tool:2\n");
        _fake.MergePullRequest(pr.Number);
        using var observer = NewObserver();

        await observer.OnImageFailedAsync(new FailedImageNotice(2, "vo/tool:2", "docker.io/vo/tool:2", "manifest unknown <b>@admins</b>"), TestContext.Current.CancellationToken);
        var failed = Assert.Single(_fake.Comments(pr.Number)).Body;
        await observer.OnImageFailedAsync(new FailedImageNotice(2, "vo/tool:2", "docker.io/vo/tool:2", "manifest unknown <b>@admins</b>"), TestContext.Current.CancellationToken);
        Assert.Equal(0, _fake.Comments(pr.Number)[0].Edits); // the same reason again: nothing new to say
        await observer.OnImagePublishedAsync(new PublishedImageNotice(2, "vo/tool:2", "docker.io/vo/tool:2", "vo/tool:2", Digest, 100), TestContext.Current.CancellationToken);

        Assert.Contains("❌ manifest unknown &lt;b&gt;&#64;admins&lt;/b&gt;", failed, StringComparison.Ordinal);
        Assert.DoesNotContain("@admins", failed, StringComparison.Ordinal);
        var comment = Assert.Single(_fake.Comments(pr.Number));
        Assert.Equal(1, comment.Edits);
        Assert.Contains("✅ published", comment.Body, StringComparison.Ordinal);
        Assert.DoesNotContain("❌", comment.Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Lines_no_recent_merged_PR_added_get_no_comment()
    {
        var open = _fake.OpenPullRequest("images.txt", "ubuntu:24.04\nvo/open:1\n"); // never merged
        using var observer = NewObserver();

        await observer.OnImagePublishedAsync(new PublishedImageNotice(1, "ubuntu:24.04", "docker.io/library/ubuntu:24.04", "library/ubuntu:24.04", Digest, 1), TestContext.Current.CancellationToken);
        await observer.OnImagePublishedAsync(new PublishedImageNotice(2, "vo/open:1", "docker.io/vo/open:1", "vo/open:1", Digest, 1), TestContext.Current.CancellationToken);

        Assert.Empty(_fake.Comments(open.Number));
        Assert.DoesNotContain(_fake.Requests, r => r.Method == "POST");
    }

    [Fact]
    public async Task A_notice_that_meets_a_GitHub_outage_is_sent_by_a_later_flush()
    {
        var pr = _fake.OpenPullRequest("images.txt", "ubuntu:24.04\nvo/tool:3\n");
        _fake.MergePullRequest(pr.Number);
        using var observer = NewObserver();
        _fake.Intercept = _ => (502, null, "{\"message\":\"Server Error\"}");

        await Assert.ThrowsAsync<GitHubException>(() => observer.OnImagePublishedAsync(
            new PublishedImageNotice(2, "vo/tool:3", "docker.io/vo/tool:3", "vo/tool:3", Digest, 1), TestContext.Current.CancellationToken));
        Assert.Empty(_fake.Comments(pr.Number));

        _fake.Intercept = null;
        using var restarted = NewObserver();
        await restarted.FlushAsync(TestContext.Current.CancellationToken);

        Assert.Contains("`vo/tool:3`", Assert.Single(_fake.Comments(pr.Number)).Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_spent_rate_limit_does_not_hold_the_sync_the_notice_is_sent_after_the_reset()
    {
        var start = DateTimeOffset.FromUnixTimeSeconds(DateTimeOffset.UtcNow.ToUnixTimeSeconds()); // GitHub's reset is in whole seconds
        var time = new ManualTimeProvider(start);
        _fake.Now = time.GetUtcNow;
        var pr = _fake.OpenPullRequest("images.txt", "ubuntu:24.04\nvo/tool:5\n");
        _fake.MergePullRequest(pr.Number);
        _fake.RateLimitRemaining = 0;
        _fake.RateLimitReset = start.AddMinutes(10); // within MaxRateLimitWait: the client would wait for it
        using var observer = new PublishNoticeObserver(new GitHubClient(_options, time: time), _options, Settings, time: time);

        var call = observer.OnImagePublishedAsync(new PublishedImageNotice(2, "vo/tool:5", "docker.io/vo/tool:5", "vo/tool:5", Digest, 1), TestContext.Current.CancellationToken);
        Assert.Equal(_options.NoticeTimeout, await time.NextTimerAsync().WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken));
        Assert.Equal(TimeSpan.FromMinutes(10), await time.NextTimerAsync().WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken));
        time.Advance(_options.NoticeTimeout);
        var ex = await Assert.ThrowsAsync<GitHubException>(() => call.WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken));

        Assert.Contains("GitHub:NoticeTimeout", ex.Message, StringComparison.Ordinal);
        Assert.Empty(_fake.Comments(pr.Number));
        time.Advance(TimeSpan.FromMinutes(10));
        await observer.FlushAsync(TestContext.Current.CancellationToken).WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);
        Assert.Contains("`vo/tool:5`", Assert.Single(_fake.Comments(pr.Number)).Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PRs_merged_before_the_notice_window_are_not_answered()
    {
        var time = new ManualTimeProvider(DateTimeOffset.UtcNow.AddDays(30));
        var pr = _fake.OpenPullRequest("images.txt", "ubuntu:24.04\nvo/old:1\n");
        _fake.MergePullRequest(pr.Number);
        using var observer = new PublishNoticeObserver(new GitHubClient(_options), _options, Settings, time: time);

        await observer.OnImagePublishedAsync(new PublishedImageNotice(2, "vo/old:1", "docker.io/vo/old:1", "vo/old:1", Digest, 1), TestContext.Current.CancellationToken);

        Assert.Empty(_fake.Comments(pr.Number));
    }

    private PublishNoticeObserver NewObserver() => new(new GitHubClient(_options), _options, Settings);
}
