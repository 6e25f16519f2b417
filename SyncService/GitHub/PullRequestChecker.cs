using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Text;
using CvmfsImages.Registry;
using CvmfsImages.Registry.Names;
using CvmfsImages.Sync.GitHub.Api;
using CvmfsImages.Sync.Lists;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace CvmfsImages.Sync.GitHub;

/// <summary>
/// Checks open pull requests that change the list file, judging ONLY the lines each PR adds or changes:
/// <list type="number">
/// <item>the PR's version of the file is read at its head commit (bounded in bytes and lines);</item>
/// <item>the changed lines come from the file's <c>patch</c> (the <c>+</c> lines of its hunks), or, when GitHub omits
/// the patch for a large diff, from comparing the base and head texts;</item>
/// <item>each changed line is judged: syntax; duplicates and path collisions against the WHOLE PR version (a conflict
/// counts when either of its two lines is changed); and whether the reference resolves in its registry for every
/// configured platform, with its size. Lines the PR does not touch are never judged, so a broken image elsewhere in
/// the list cannot fail someone else's PR;</item>
/// <item>one commit status goes on the head commit: <c>failure</c> when a changed line has a problem, <c>pending</c>
/// ("could not check, will retry") when a registry was unreachable or rate-limited, else <c>success</c>;</item>
/// <item>one comment, found again by a hidden marker (and, when configured, the bot's login), is created once and
/// edited in place on every re-check; it lists each changed line, its verdict and its /cvmfs path.</item>
/// </list>
/// A final result (success or failure) for a head commit is not recomputed until the PR gets a new head.
/// </summary>
internal sealed partial class PullRequestChecker
{
    /// <summary>The hidden marker that identifies the check comment.</summary>
    public const string Marker = "<!-- cvmfs-image-sync:pr-check -->";

    /// <summary>Rows stop once the body passes this length (GitHub refuses comments over 65,536 characters).</summary>
    internal const int MaxCommentChars = 60_000;

    private readonly GitHubClient _github;
    private readonly RegistryClient _registry;
    private readonly GitHubOptions _options;
    private readonly PullRequestCheckSettings _settings;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<int, string> _finalHeads = new();
    private readonly ConcurrentDictionary<int, (string Sha, string State, string Description)> _postedStatus = new();

    public PullRequestChecker(GitHubClient github, RegistryClient registry, GitHubOptions options, PullRequestCheckSettings settings, ILogger<PullRequestChecker>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(github);
        ArgumentNullException.ThrowIfNull(registry);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(settings);
        if (settings.Platforms.Count == 0)
        {
            throw new ArgumentException("at least one platform is needed", nameof(settings));
        }

        _github = github;
        _registry = registry;
        _options = options;
        _settings = settings;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
    }

    /// <summary>Checks every open PR against the list's branch that changes the list; a failure on one PR is logged and the others go on.</summary>
    public async Task<IReadOnlyList<PullRequestCheck>> CheckOpenPullRequestsAsync(CancellationToken cancellationToken)
    {
        var branch = await _github.ResolveBranchAsync(cancellationToken);
        var pulls = await _github.ListPullRequestsAsync("open", branch, "updated", _options.MaxOpenPullRequests, cancellationToken);
        var results = new List<PullRequestCheck>();
        foreach (var pull in pulls)
        {
            try
            {
                if (await CheckAsync(pull, cancellationToken) is { } result)
                {
                    results.Add(result);
                }
            }
            catch (GitHubException ex)
            {
                LogCheckFailed(_logger, pull.Number, ex.Message);
            }
        }

        return results;
    }

    /// <summary>Checks one PR by number (after a webhook); null when it is closed, targets another branch or does not touch the list.</summary>
    public async Task<PullRequestCheck?> CheckPullRequestAsync(int number, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(number);
        var pull = await _github.GetPullRequestAsync(number, cancellationToken);
        var branch = await _github.ResolveBranchAsync(cancellationToken);
        return pull.State == "open" && pull.Base.Ref == branch ? await CheckAsync(pull, cancellationToken) : null;
    }

    private async Task<PullRequestCheck?> CheckAsync(GitHubPullRequest pull, CancellationToken cancellationToken)
    {
        if (!GitRefs.IsCommitSha(pull.Head.Sha) || !GitRefs.IsCommitSha(pull.Base.Sha))
        {
            throw new GitHubException($"pull request {pull.Number} has an invalid head or base commit id", null, "pulls");
        }

        if (_finalHeads.TryGetValue(pull.Number, out var done) && done == pull.Head.Sha)
        {
            return null;
        }

        var files = await _github.ListPullRequestFilesAsync(pull.Number, cancellationToken);
        var file = files.FirstOrDefault(f => f.Filename == _options.Path) ?? files.FirstOrDefault(f => f.PreviousFilename == _options.Path);
        if (file is null)
        {
            return null;
        }

        LogChecking(_logger, pull.Number, pull.Head.Sha);
        var result = await JudgeAsync(pull, file, cancellationToken);
        // GitHub keeps at most 1,000 statuses per commit and context: a pending result repeated every poll is posted once.
        var status = (pull.Head.Sha, result.State, result.Description);
        if (!_postedStatus.TryGetValue(pull.Number, out var posted) || posted != status)
        {
            await _github.CreateStatusAsync(pull.Head.Sha, new CommitStatusRequest(result.State, result.Description, _options.StatusContext), cancellationToken);
            _postedStatus[pull.Number] = status;
        }

        await UpsertCommentAsync(pull.Number, RenderComment(result), cancellationToken);
        if (result.IsFinal)
        {
            _finalHeads[pull.Number] = pull.Head.Sha;
        }

        LogChecked(_logger, pull.Number, pull.Head.Sha, result.State, result.Description);
        return result;
    }

    private async Task<PullRequestCheck> JudgeAsync(GitHubPullRequest pull, GitHubPullRequestFile file, CancellationToken cancellationToken)
    {
        PullRequestCheck Whole(string state, string description) => new(pull.Number, pull.Head.Sha, state, description, []);

        if (file.Status == "removed" || file.Filename != _options.Path)
        {
            return Whole(CommitState.Failure, $"this pull request removes or renames {Shorten(_options.Path, 60)}");
        }

        string headText;
        string? baseText = null;
        try
        {
            headText = (await _github.GetFileAsync(_options.Path, pull.Head.Sha, null, cancellationToken))!.Text;
            if (file.Patch is null)
            {
                // GitHub leaves the patch out of large diffs: compare the texts instead (a new file has no base).
                try
                {
                    baseText = (await _github.GetFileAsync(_options.Path, pull.Base.Sha, null, cancellationToken))!.Text;
                }
                catch (GitHubException ex) when (ex.Status == HttpStatusCode.NotFound)
                {
                    baseText = string.Empty;
                }
            }
        }
        catch (InvalidDataException ex)
        {
            return Whole(CommitState.Failure, Shorten(ex.Message, 140));
        }

        IReadOnlySet<int> changed;
        try
        {
            changed = file.Patch is not null ? ChangedLines.FromPatch(file.Patch) : ChangedLines.FromTexts(baseText!, headText);
        }
        catch (InvalidDataException)
        {
            changed = ChangedLines.FromTexts(
                (await _github.GetFileAsync(_options.Path, pull.Base.Sha, null, cancellationToken))?.Text ?? string.Empty, headText);
        }

        var list = ImageList.Parse(headText, $"pull request {pull.Number}", _options.MaxListLines);
        var lines = SplitLines(headText);
        var judged = changed.Where(n => n <= lines.Count && !IsBlankOrComment(lines[n - 1]) || list.Problems.Any(p => p.LineNumber == n)).Order().ToList();
        if (judged.Count > _options.MaxChangedLines)
        {
            return Whole(CommitState.Failure, string.Create(CultureInfo.InvariantCulture,
                $"{judged.Count} changed lines; at most {_options.MaxChangedLines} are checked at once: please split the pull request"));
        }

        var conflicts = ListChecks.FindConflicts(list.Entries, _settings.Style);
        var entries = list.Entries.ToDictionary(e => e.LineNumber);
        var verdicts = new LineVerdict[judged.Count];
        await Parallel.ForEachAsync(
            Enumerable.Range(0, judged.Count),
            new ParallelOptions { MaxDegreeOfParallelism = _settings.MaxConcurrentResolves, CancellationToken = cancellationToken },
            async (i, token) =>
            {
                var number = judged[i];
                var text = number <= lines.Count ? ListLines.Normalise(lines[number - 1]) : string.Empty;
                var problem = list.Problems.FirstOrDefault(p => p.LineNumber == number)
                              ?? conflicts.FirstOrDefault(c => c.LineNumber == number || c.OtherLineNumber == number);
                entries.TryGetValue(number, out var entry);
                var path = entry is null ? null : PathOf(entry);
                if (problem is not null)
                {
                    var message = problem.LineNumber == number
                        ? problem.Message
                        : $"line {problem.LineNumber} conflicts with this line: {problem.Message}";
                    verdicts[i] = new LineVerdict(number, text, LineVerdictKind.Problem, message, path);
                    return;
                }

                verdicts[i] = entry is null
                    ? new LineVerdict(number, text, LineVerdictKind.Problem, "not an image reference", null)
                    : await ResolveAsync(entry, path, token);
            });

        var problems = verdicts.Count(v => v.Kind == LineVerdictKind.Problem);
        var retries = verdicts.Count(v => v.Kind == LineVerdictKind.Retry);
        var (state, description) = (problems, retries) switch
        {
            ( > 0, _) => (CommitState.Failure, Invariant($"{problems} of {verdicts.Length} changed line(s) need a fix")),
            (_, > 0) => (CommitState.Pending, Invariant($"could not check {retries} line(s) now (registry unreachable or rate-limited), will retry")),
            _ when verdicts.Length == 0 => (CommitState.Success, "no image lines changed"),
            _ => (CommitState.Success, Invariant($"{verdicts.Length} changed line(s) resolve")),
        };
        return new PullRequestCheck(pull.Number, pull.Head.Sha, state, description, verdicts);
    }

    private string? PathOf(ListEntry entry)
    {
        if (entry.IsGlob)
        {
            // The glob itself in the tag position: the path each matching tag gets.
            var probe = ListChecks.PathOf(entry, _settings.Style);
            return probe is null ? null : _settings.Full(probe[..^ImageReference.DefaultTag.Length] + entry.TagPattern);
        }

        var path = ListChecks.PathOf(entry, _settings.Style);
        return path is null ? null : _settings.Full(path);
    }

    private async Task<LineVerdict> ResolveAsync(ListEntry entry, string? path, CancellationToken cancellationToken)
    {
        if (path is null)
        {
            return new LineVerdict(entry.LineNumber, entry.Text, LineVerdictKind.Problem, "the repository layout has no path for this reference", null);
        }

        if (_settings.Registries.Refusal(entry.Repository.Registry) is { } refusal)
        {
            // Unreviewed text must not make the service probe its own host or network.
            return new LineVerdict(entry.LineNumber, entry.Text, LineVerdictKind.Problem, refusal, path);
        }

        try
        {
            var reference = entry.Reference;
            var note = string.Empty;
            if (entry.IsGlob)
            {
                var tags = await _registry.ListTagsAsync(entry.Repository, cancellationToken);
                var matching = tags.Where(t => TagGlob.IsMatch(entry.TagPattern!, t)).ToList();
                if (matching.Count == 0)
                {
                    return new LineVerdict(entry.LineNumber, entry.Text, LineVerdictKind.Problem, Invariant($"no tag of {entry.Repository} matches '{entry.TagPattern}' ({tags.Count} tags listed)"), path);
                }

                // One matching tag is resolved as a sample; the sync resolves each.
                var sample = matching.Max(StringComparer.Ordinal)!;
                reference = reference.WithTag(sample);
                note = Invariant($"{matching.Count} tag(s) match; checked {sample}: ");
            }

            var sizes = new List<string>();
            foreach (var platform in _settings.Platforms)
            {
                var image = await _registry.ResolveImageAsync(reference, platform, cancellationToken);
                sizes.Add($"{platform} {SizeText.Format(image.CompressedSize)}");
            }

            return new LineVerdict(entry.LineNumber, entry.Text, LineVerdictKind.Ok, note + "resolves: " + string.Join(", ", sizes) + " (compressed)", path);
        }
        catch (RegistryException ex) when (!ex.IsTransient)
        {
            var what = ex.Status switch
            {
                HttpStatusCode.NotFound => "not found in its registry",
                HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden => "the registry refuses access (a private image?)",
                _ => "does not resolve",
            };
            return new LineVerdict(entry.LineNumber, entry.Text, LineVerdictKind.Problem, $"{what}: {ex.Message}", path);
        }
        catch (Exception ex) when (ex is InvalidDataException or FormatException or System.Text.Json.JsonException)
        {
            return new LineVerdict(entry.LineNumber, entry.Text, LineVerdictKind.Problem, $"the registry's answer cannot be used: {ex.Message}", path);
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            // Outages, rate limits, timeouts and anything unexpected: never blamed on the PR.
            LogResolveRetry(_logger, entry.LineNumber, entry.Text, ex);
            return new LineVerdict(entry.LineNumber, entry.Text, LineVerdictKind.Retry, "could not check now (registry unreachable or rate-limited); will retry", path);
        }
    }

    private async Task UpsertCommentAsync(int number, string body, CancellationToken cancellationToken)
    {
        var mine = await _github.FindMarkedCommentAsync(number, Marker, cancellationToken);
        if (mine is null)
        {
            await _github.CreateIssueCommentAsync(number, body, cancellationToken);
        }
        else if (mine.Body!.ReplaceLineEndings("\n") != body)
        {
            await _github.UpdateIssueCommentAsync(mine.Id, body, cancellationToken);
        }
    }

    private static string RenderComment(PullRequestCheck result)
    {
        var sb = new StringBuilder();
        sb.Append(Marker).Append('\n');
        var headline = result.State switch
        {
            CommitState.Success => "✅ Image list check passed",
            CommitState.Pending => "⏳ Image list check: could not check everything, will retry",
            _ => "❌ Image list check: changes needed",
        };
        sb.Append("### ").Append(headline).Append("\n\n");
        sb.Append(Invariant($"Commit `{result.HeadSha[..12]}`: {MarkdownText.Escape(result.Description)}. "));
        sb.Append("Only the lines this pull request adds or changes are checked; the rest of the list is not judged here.\n");
        if (result.Lines.Count > 0)
        {
            sb.Append("\n| line | image | verdict | path under /cvmfs |\n|---:|---|---|---|\n");
            var shown = 0;
            foreach (var line in result.Lines)
            {
                if (sb.Length > MaxCommentChars)
                {
                    sb.Append(Invariant($"\n…and {result.Lines.Count - shown} more line(s), not shown (GitHub limits a comment's length).\n"));
                    break;
                }

                shown++;
                var icon = line.Kind switch
                {
                    LineVerdictKind.Ok => "✅",
                    LineVerdictKind.Retry => "⏳",
                    _ => "❌",
                };
                sb.Append(Invariant($"| {line.LineNumber} | {MarkdownText.Code(line.Text, 200)} | {icon} {MarkdownText.Escape(line.Message, 400)} | "))
                  .Append(line.CvmfsPath is null ? "—" : MarkdownText.Code(line.CvmfsPath, 300))
                  .Append(" |\n");
            }
        }

        sb.Append("\n<sub>Edited in place on every re-check. A pending result is retried automatically.</sub>\n");
        return sb.ToString();
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);


    private static List<string> SplitLines(string text)
    {
        var lines = new List<string>();
        foreach (var line in text.AsSpan().EnumerateLines())
        {
            lines.Add(line.ToString());
        }

        return lines;
    }

    private static bool IsBlankOrComment(string line) => ListLines.Normalise(line).Length == 0;

    private static string Shorten(string text, int max) => text.Length <= max ? text : text[..(max - 1)] + "…";
}
