using System.Globalization;
using System.Text;
using CvmfsImages.Sync.GitHub.Api;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace CvmfsImages.Sync.GitHub;

/// <summary>
/// Answers "when will my image appear?" on the pull request that asked for it. Told by the sync about every image it
/// publishes (or fails on), it finds the merged PR whose diff ADDED that list line and keeps one notice comment on
/// it, listing each of the PR's images with its /cvmfs path, manifest digest and size, or why publishing failed.
/// <para>
/// Mapping a line to its PR: the recently updated closed PRs against the list's branch are listed (at most
/// <see cref="GitHubOptions.MaxMergedPullRequestsScanned"/>, merged within <see cref="GitHubOptions.NoticeMaxAge"/>);
/// for each merged one not seen before, the <c>+</c> lines of the list file's patch (or the difference of its base and
/// head texts when GitHub omits the patch) are stored in SQLite. A line maps to the most recently merged PR that
/// added it. This works for merge commits, squash and rebase merges alike (the PR's own diff is used, not the
/// branch's history), and costs one listing per minute at most plus one files call per newly merged PR.
/// </para>
/// The answers given are stored in SQLite before anything is sent: a restart (same database) does not comment again;
/// the comment is created once (GitHub notifies the PR's participants) and edited as more of the PR's images land.
/// A line once published is not reopened by later failures (an upstream tag that breaks later is the sync's
/// business, not the PR's).
/// </summary>
internal sealed partial class PublishNoticeObserver : ISyncObserver, IDisposable
{
    /// <summary>The hidden marker of the notice comment.</summary>
    public const string Marker = "<!-- cvmfs-image-sync:published -->";

    private static readonly TimeSpan RefreshInterval = TimeSpan.FromMinutes(1);
    private const int MaxRows = 100;

    private readonly GitHubClient _github;
    private readonly GitHubOptions _options;
    private readonly PullRequestCheckSettings _settings;
    private readonly NoticeStore _store;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _serial = new(1, 1);
    private DateTimeOffset? _lastRefresh;

    public PublishNoticeObserver(GitHubClient github, GitHubOptions options, PullRequestCheckSettings settings, ILogger<PublishNoticeObserver>? logger = null, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(github);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(settings);
        _github = github;
        _options = options;
        _settings = settings;
        _store = new NoticeStore(options.NoticeDatabase);
        _time = time ?? TimeProvider.System;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
    }

    public void Dispose() => _serial.Dispose();

    public async Task OnImagePublishedAsync(PublishedImageNotice n, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(n);
        var line = ListLines.Normalise(n.ListLine);
        if (line.Length > 0)
        {
            // The sync gives the path users see (/cvmfs/<repo>/...); a relative one is placed under the configured root.
            var path = n.CvmfsPath.StartsWith('/') ? n.CvmfsPath : _settings.Full(n.CvmfsPath);
            _store.Enqueue(new NoticeRecord(0, line, path, true, path, n.ManifestDigest, n.Size, null), _time.GetUtcNow());
            await FlushWithinAsync(ct);
        }
    }

    public async Task OnImageFailedAsync(FailedImageNotice n, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(n);
        var line = ListLines.Normalise(n.ListLine);
        if (line.Length > 0)
        {
            _store.Enqueue(new NoticeRecord(0, line, "failed:" + n.Reference, false, null, null, 0, n.Reason), _time.GetUtcNow());
            await FlushWithinAsync(ct);
        }
    }

    /// <summary>
    /// A flush bounded by <see cref="GitHubOptions.NoticeTimeout"/>: the sync calls this between publishes and must not
    /// wait out GitHub's rate limit. Past the bound the notices stay stored and a <see cref="GitHubException"/> says so.
    /// </summary>
    private async Task FlushWithinAsync(CancellationToken ct)
    {
        using var timeout = new CancellationTokenSource(_options.NoticeTimeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, timeout.Token);
        try
        {
            await FlushAsync(linked.Token);
        }
        catch (OperationCanceledException ex) when (timeout.IsCancellationRequested && !ct.IsCancellationRequested)
        {
            throw new GitHubException(
                $"GitHub did not take the publish notice within {_options.NoticeTimeout} ({GitHubOptions.SectionName}:{nameof(GitHubOptions.NoticeTimeout)}); it is stored and sent by the next flush",
                null,
                null,
                ex);
        }
    }

    /// <summary>
    /// Matches waiting notices to their PRs and writes the comments not written yet. Notices are stored (SQLite) when
    /// they arrive, so one that meets a GitHub outage is sent by a later call; call this on a schedule as well.
    /// </summary>
    public async Task FlushAsync(CancellationToken ct)
    {
        await _serial.WaitAsync(ct);
        try
        {
            var inbox = _store.Inbox();
            if (inbox.Count > 0)
            {
                await RefreshAsync(ct);
            }

            foreach (var (id, notice, receivedAt) in inbox)
            {
                if (_store.FindPullRequest(notice.Line, receivedAt - _options.NoticeMaxAge) is { } pr)
                {
                    var record = notice with { PullRequest = pr };
                    if (!(record.Published ? _store.RecordPublished(record) : _store.RecordFailed(record)))
                    {
                        LogAlreadyAnswered(_logger, pr, notice.Line);
                    }
                }
                else if (_lastRefresh < receivedAt)
                {
                    // The last scan predates the notice: a PR merged just after it may own the line; keep it for the next scan.
                    continue;
                }

                _store.RemoveFromInbox(id);
            }

            await SendUnsentAsync(ct);
        }
        finally
        {
            _serial.Release();
        }
    }

    private async Task SendUnsentAsync(CancellationToken ct)
    {
        foreach (var pr in _store.Unsent())
        {
            var body = Render(_store.Notices(pr));
            if (_store.CommentId(pr) is { } id)
            {
                try
                {
                    await _github.UpdateIssueCommentAsync(id, body, ct);
                    _store.ClearUnsent(pr);
                    LogNoticeUpdated(_logger, pr);
                    continue;
                }
                catch (GitHubException ex) when (ex.Status == System.Net.HttpStatusCode.NotFound)
                {
                    // Someone deleted the comment: write a new one.
                }
            }

            // A crash between creating the comment and storing its id left a comment with our marker: adopt it, never
            // write a second one.
            if (await _github.FindMarkedCommentAsync(pr, Marker, ct) is { } existing)
            {
                _store.SetCommentId(pr, existing.Id);
                await _github.UpdateIssueCommentAsync(existing.Id, body, ct);
                _store.ClearUnsent(pr);
                LogNoticeUpdated(_logger, pr);
                continue;
            }

            var comment = await _github.CreateIssueCommentAsync(pr, body, ct);
            _store.SetCommentId(pr, comment.Id);
            _store.ClearUnsent(pr);
            LogNoticePosted(_logger, pr);
        }
    }

    /// <summary>Scans recently merged PRs not seen before (at most once a minute).</summary>
    private async Task RefreshAsync(CancellationToken ct)
    {
        // A scan that starts after a notice arrived is conclusive for it (the merge came before the publish).
        var now = _time.GetUtcNow();
        if (_lastRefresh is { } last && now - last < RefreshInterval)
        {
            return;
        }

        var branch = await _github.ResolveBranchAsync(ct);
        var closed = await _github.ListPullRequestsAsync("closed", branch, "updated", _options.MaxMergedPullRequestsScanned, ct);
        foreach (var pull in closed)
        {
            if (pull.MergedAt is not { } mergedAt || mergedAt < now - _options.NoticeMaxAge || _store.IsScanned(pull.Number))
            {
                continue;
            }

            var lines = await AddedLinesAsync(pull, ct);
            _store.AddScanned(pull.Number, mergedAt, lines);
            LogScanned(_logger, pull.Number, lines.Count);
        }

        _lastRefresh = now;
    }

    private async Task<IReadOnlyList<string>> AddedLinesAsync(GitHubPullRequest pull, CancellationToken ct)
    {
        var files = await _github.ListPullRequestFilesAsync(pull.Number, ct);
        var file = files.FirstOrDefault(f => f.Filename == _options.Path);
        if (file is null || file.Status == "removed")
        {
            return [];
        }

        IEnumerable<string> added;
        if (file.Patch is not null)
        {
            added = ChangedLines.AddedText(file.Patch);
        }
        else
        {
            if (!GitRefs.IsCommitSha(pull.Head.Sha) || !GitRefs.IsCommitSha(pull.Base.Sha))
            {
                return [];
            }

            var head = (await _github.GetFileAsync(_options.Path, pull.Head.Sha, null, ct))?.Text ?? string.Empty;
            string old;
            try
            {
                old = (await _github.GetFileAsync(_options.Path, pull.Base.Sha, null, ct))?.Text ?? string.Empty;
            }
            catch (GitHubException ex) when (ex.Status == System.Net.HttpStatusCode.NotFound)
            {
                old = string.Empty;
            }

            var headLines = head.Split('\n');
            added = ChangedLines.FromTexts(old, head).Select(n => headLines[n - 1]);
        }

        return [.. added.Select(ListLines.Normalise).Where(l => l.Length > 0).Distinct(StringComparer.Ordinal).Take(_options.MaxListLines)];
    }

    private static string Render(IReadOnlyList<NoticeRecord> notices)
    {
        var sb = new StringBuilder();
        sb.Append(Marker).Append('\n');
        var published = notices.Count(n => n.Published);
        var failed = notices.Count - published;
        sb.Append(failed == 0 ? "### 📦 Published on CVMFS\n\n" : published == 0 ? "### ❌ Publishing failed\n\n" : "### 📦 Partly published on CVMFS\n\n");
        sb.Append("The images this pull request added, as the sync published them. Worker nodes see them once their CVMFS clients pick up the new revision.\n\n");
        sb.Append("| image | result | path | digest | size |\n|---|---|---|---|---:|\n");
        var shown = 0;
        foreach (var n in notices.Take(MaxRows))
        {
            if (sb.Length > PullRequestChecker.MaxCommentChars)
            {
                break;
            }

            shown++;
            if (n.Published)
            {
                sb.Append(CultureInfo.InvariantCulture, $"| {MarkdownText.Code(n.Line, 200)} | ✅ published | {MarkdownText.Code(n.CvmfsPath, 300)} | {MarkdownText.Code(n.Digest, 80)} | {SizeText.Format(n.Size)} |\n");
            }
            else
            {
                sb.Append(CultureInfo.InvariantCulture, $"| {MarkdownText.Code(n.Line, 200)} | ❌ {MarkdownText.Escape(n.Reason, 400)} | — | — | — |\n");
            }
        }

        if (notices.Count > shown)
        {
            sb.Append(CultureInfo.InvariantCulture, $"\n…and {notices.Count - shown} more.\n");
        }

        if (failed > 0)
        {
            sb.Append("\nFailed images are tried again on every sync; this comment is updated when they are published.\n");
        }

        return sb.ToString();
    }

}
