using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using CvmfsImages.Registry.Transport;
using CvmfsImages.Sync.GitHub.Api;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace CvmfsImages.Sync.GitHub;

/// <summary>
/// A thin client for exactly the GitHub REST calls the service makes (Octokit is not available here): contents with
/// conditional requests, pull requests and their files, commit statuses and issue comments. Works against
/// <c>api.github.com</c> and GitHub Enterprise (<c>https://HOST/api/v3</c>).
/// <para>
/// Rate limits: every answer's <c>x-ratelimit-remaining</c>/<c>x-ratelimit-reset</c> is remembered; when the budget is
/// spent the next call waits until the reset. A 403/429 rate-limit answer (primary or secondary) is retried after
/// <c>retry-after</c>, the reset time, or one minute, as GitHub documents, at most
/// <see cref="GitHubOptions.MaxRateLimitRetries"/> times. Waits use the injected <see cref="TimeProvider"/>.
/// </para>
/// The token goes only to the configured API origin (pagination links elsewhere are refused) and is never logged.
/// </summary>
internal sealed partial class GitHubClient : IDisposable
{
    private const string JsonMediaType = "application/vnd.github+json";
    private const string RawMediaType = "application/vnd.github.raw+json";
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);
    private static readonly TimeSpan SecondaryLimitWait = TimeSpan.FromMinutes(1);

    private readonly GitHubOptions _options;
    private readonly HttpClient _http;
    private readonly Uri _base;
    private readonly string? _token;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Lock _gate = new();
    private int? _remaining;
    private DateTimeOffset? _reset;
    private string? _defaultBranch;

    public GitHubClient(GitHubOptions options, ILogger<GitHubClient>? logger = null, TimeProvider? time = null, HttpMessageHandler? handler = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        _time = time ?? TimeProvider.System;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        _token = options.ResolveToken();
        var baseText = options.ApiBaseUrl.AbsoluteUri;
        _base = new Uri(baseText.EndsWith('/') ? baseText : baseText + "/");
        _http = handler is null ? new HttpClient() : new HttpClient(handler, disposeHandler: false);
        _http.Timeout = options.RequestTimeout;
        _http.DefaultRequestHeaders.UserAgent.Add(new ProductInfoHeaderValue("cvmfs-image-sync", "1.0"));
        _http.DefaultRequestHeaders.Add("X-GitHub-Api-Version", "2022-11-28");
    }

    /// <summary>The rate-limit budget GitHub last reported (null before the first answer).</summary>
    public int? RateLimitRemaining
    {
        get
        {
            lock (_gate)
            {
                return _remaining;
            }
        }
    }

    public void Dispose() => _http.Dispose();

    /// <summary>The configured branch, or the repository's default branch (asked once, then remembered).</summary>
    public async Task<string> ResolveBranchAsync(CancellationToken cancellationToken)
    {
        if (!string.IsNullOrEmpty(_options.Branch))
        {
            return _options.Branch;
        }

        if (_defaultBranch is null)
        {
            var repository = await GetRepositoryAsync(cancellationToken);
            if (!GitRefs.IsValidBranch(repository.DefaultBranch))
            {
                throw new GitHubException("GitHub named a default branch that is not a valid branch name", null, RepoPath(string.Empty));
            }

            _defaultBranch = repository.DefaultBranch;
        }

        return _defaultBranch;
    }

    /// <summary><c>GET /repos/{owner}/{repo}</c>: the default branch.</summary>
    public async Task<GitHubRepository> GetRepositoryAsync(CancellationToken cancellationToken)
    {
        return await GetJsonAsync(RepoPath(string.Empty), GitHubJsonContext.Default.GitHubRepository, cancellationToken);
    }

    /// <summary>
    /// <c>GET /repos/{owner}/{repo}/contents/{path}?ref=</c> with the raw media type and, when given,
    /// <c>If-None-Match</c>. Returns null on 304 (unchanged: costs no rate limit) and throws
    /// <see cref="GitHubException"/> with 404 when the file or ref does not exist.
    /// </summary>
    public async Task<GitHubFile?> GetFileAsync(string path, string gitRef, string? etag, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(gitRef);
        if (!GitRefs.IsValidRepositoryPath(path))
        {
            throw new ArgumentException($"not a repository path: '{path}'", nameof(path));
        }

        var relative = RepoPath("/contents/" + string.Join('/', path.Split('/').Select(Uri.EscapeDataString))) +
                       "?ref=" + Uri.EscapeDataString(gitRef);
        using var response = await SendAsync(relative, () =>
        {
            var request = new HttpRequestMessage(HttpMethod.Get, new Uri(_base, relative));
            request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(RawMediaType));
            if (etag is not null)
            {
                request.Headers.TryAddWithoutValidation("If-None-Match", etag);
            }

            return request;
        }, cancellationToken);

        if (response.StatusCode == HttpStatusCode.NotModified)
        {
            return null;
        }

        await EnsureSuccessAsync(response, relative, cancellationToken);
        byte[] bytes;
        try
        {
            bytes = await ReadBoundedAsync(response.Content, _options.MaxListBytes, relative, "file", cancellationToken);
        }
        catch (GitHubException ex) when (ex.Status is null && ex.InnerException is null)
        {
            // Oversize content is the file's fault, not GitHub's: malformed input, not a transient failure.
            throw new InvalidDataException(Invariant($"{path} at {gitRef} is larger than {_options.MaxListBytes} bytes ({GitHubOptions.SectionName}:{nameof(GitHubOptions.MaxListBytes)})"), ex);
        }

        string text;
        try
        {
            text = StrictUtf8.GetString(bytes);
        }
        catch (DecoderFallbackException ex)
        {
            throw new InvalidDataException($"{path} at {gitRef} is not valid UTF-8 text", ex);
        }

        var newEtag = response.Headers.ETag?.ToString();
        return new GitHubFile(text.StartsWith('\uFEFF') ? text[1..] : text, newEtag);
    }

    /// <summary><c>GET /repos/{owner}/{repo}/pulls?state=&amp;base=&amp;sort=&amp;direction=desc</c>, up to <paramref name="max"/>.</summary>
    public Task<IReadOnlyList<GitHubPullRequest>> ListPullRequestsAsync(string state, string baseBranch, string sort, int max, CancellationToken cancellationToken)
    {
        var relative = RepoPath("/pulls") + "?state=" + Uri.EscapeDataString(state) + "&base=" + Uri.EscapeDataString(baseBranch) +
                       "&sort=" + Uri.EscapeDataString(sort) + "&direction=desc&per_page=100";
        return GetPagesAsync(relative, GitHubJsonContext.Default.ListGitHubPullRequest, max, cancellationToken);
    }

    /// <summary><c>GET /repos/{owner}/{repo}/pulls/{number}</c>.</summary>
    public Task<GitHubPullRequest> GetPullRequestAsync(int number, CancellationToken cancellationToken) =>
        GetJsonAsync(RepoPath(Invariant($"/pulls/{number}")), GitHubJsonContext.Default.GitHubPullRequest, cancellationToken);

    /// <summary><c>GET /repos/{owner}/{repo}/pulls/{number}/files</c> (all pages up to the page limit).</summary>
    public Task<IReadOnlyList<GitHubPullRequestFile>> ListPullRequestFilesAsync(int number, CancellationToken cancellationToken) =>
        GetPagesAsync(RepoPath(Invariant($"/pulls/{number}/files?per_page=100")), GitHubJsonContext.Default.ListGitHubPullRequestFile, int.MaxValue, cancellationToken);

    /// <summary><c>POST /repos/{owner}/{repo}/statuses/{sha}</c>.</summary>
    public async Task CreateStatusAsync(string sha, CommitStatusRequest status, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(status);
        if (!GitRefs.IsCommitSha(sha))
        {
            throw new ArgumentException($"not a commit id: '{sha}'", nameof(sha));
        }

        await SendJsonAsync(HttpMethod.Post, RepoPath("/statuses/" + sha), status, GitHubJsonContext.Default.CommitStatusRequest, cancellationToken);
    }

    /// <summary><c>GET /repos/{owner}/{repo}/issues/{number}/comments</c> (all pages up to the page limit).</summary>
    public Task<IReadOnlyList<GitHubIssueComment>> ListIssueCommentsAsync(int number, CancellationToken cancellationToken) =>
        GetPagesAsync(RepoPath(Invariant($"/issues/{number}/comments?per_page=100")), GitHubJsonContext.Default.ListGitHubIssueComment, int.MaxValue, cancellationToken);

    /// <summary>
    /// The first comment on issue or PR <paramref name="number"/> that starts with <paramref name="marker"/> and, when
    /// <see cref="GitHubOptions.BotLogin"/> is set, was written by that account (a user quoting the marker is not us).
    /// </summary>
    public async Task<GitHubIssueComment?> FindMarkedCommentAsync(int number, string marker, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(marker);
        var comments = await ListIssueCommentsAsync(number, cancellationToken);
        return comments.FirstOrDefault(c =>
            c.Body is not null && c.Body.StartsWith(marker, StringComparison.Ordinal) &&
            (_options.BotLogin is null || string.Equals(c.User?.Login, _options.BotLogin, StringComparison.OrdinalIgnoreCase)));
    }

    /// <summary><c>POST /repos/{owner}/{repo}/issues/{number}/comments</c>.</summary>
    public async Task<GitHubIssueComment> CreateIssueCommentAsync(int number, string body, CancellationToken cancellationToken)
    {
        var relative = RepoPath(Invariant($"/issues/{number}/comments"));
        using var response = await SendJsonAsync(HttpMethod.Post, relative, new CommentRequest(body), GitHubJsonContext.Default.CommentRequest, cancellationToken);
        return await ReadJsonAsync(response, relative, GitHubJsonContext.Default.GitHubIssueComment, cancellationToken);
    }

    /// <summary><c>PATCH /repos/{owner}/{repo}/issues/comments/{id}</c>.</summary>
    public async Task<GitHubIssueComment> UpdateIssueCommentAsync(long commentId, string body, CancellationToken cancellationToken)
    {
        var relative = RepoPath(Invariant($"/issues/comments/{commentId}"));
        using var response = await SendJsonAsync(HttpMethod.Patch, relative, new CommentRequest(body), GitHubJsonContext.Default.CommentRequest, cancellationToken);
        return await ReadJsonAsync(response, relative, GitHubJsonContext.Default.GitHubIssueComment, cancellationToken);
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

    private string RepoPath(string rest) =>
        "repos/" + Uri.EscapeDataString(_options.Owner) + "/" + Uri.EscapeDataString(_options.Repository) + rest;

    private async Task<T> GetJsonAsync<T>(string relative, JsonTypeInfo<T> type, CancellationToken cancellationToken)
    {
        using var response = await SendAsync(relative, () => JsonRequest(HttpMethod.Get, new Uri(_base, relative)), cancellationToken);
        return await ReadJsonAsync(response, relative, type, cancellationToken);
    }

    private async Task<IReadOnlyList<T>> GetPagesAsync<T>(string relative, JsonTypeInfo<List<T>> type, int max, CancellationToken cancellationToken)
    {
        var all = new List<T>();
        var next = new Uri(_base, relative);
        for (var page = 0; page < _options.MaxPages && all.Count < max; page++)
        {
            var uri = next;
            var path = uri.AbsolutePath;
            using var response = await SendAsync(path, () => JsonRequest(HttpMethod.Get, uri), cancellationToken);
            all.AddRange(await ReadJsonAsync(response, path, type, cancellationToken));
            var link = NextLink(response);
            if (link is null)
            {
                break;
            }

            // The token goes only where the options point; a Link elsewhere is GitHub misbehaving or an attack.
            if (!link.IsAbsoluteUri || Uri.Compare(link, _base, UriComponents.SchemeAndServer, UriFormat.Unescaped, StringComparison.OrdinalIgnoreCase) != 0 ||
                !link.AbsolutePath.StartsWith(_base.AbsolutePath, StringComparison.Ordinal))
            {
                throw new GitHubException("pagination link leaves the configured API origin", response.StatusCode, path);
            }

            next = link;
        }

        return all.Count > max ? all.GetRange(0, max) : all;
    }

    private static Uri? NextLink(HttpResponseMessage response)
    {
        if (!response.Headers.TryGetValues("Link", out var values))
        {
            return null;
        }

        // Link: <https://api.github.com/...&page=2>; rel="next", <...>; rel="last"
        foreach (var part in string.Join(',', values).Split(','))
        {
            var pieces = part.Split(';');
            if (pieces.Length >= 2 && pieces.Skip(1).Any(p => p.Trim() is "rel=\"next\"" or "rel=next"))
            {
                var target = pieces[0].Trim().TrimStart('<').TrimEnd('>');
                return Uri.TryCreate(target, UriKind.Absolute, out var uri) ? uri : null;
            }
        }

        return null;
    }

    private async Task<HttpResponseMessage> SendJsonAsync<T>(HttpMethod method, string relative, T body, JsonTypeInfo<T> type, CancellationToken cancellationToken)
    {
        var response = await SendAsync(relative, () =>
        {
            var request = JsonRequest(method, new Uri(_base, relative));
            request.Content = JsonContent.Create(body, type);
            return request;
        }, cancellationToken);
        try
        {
            await EnsureSuccessAsync(response, relative, cancellationToken);
            return response;
        }
        catch
        {
            response.Dispose();
            throw;
        }
    }

    private static HttpRequestMessage JsonRequest(HttpMethod method, Uri uri)
    {
        var request = new HttpRequestMessage(method, uri);
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(JsonMediaType));
        return request;
    }

    private async Task<T> ReadJsonAsync<T>(HttpResponseMessage response, string relative, JsonTypeInfo<T> type, CancellationToken cancellationToken)
    {
        await EnsureSuccessAsync(response, relative, cancellationToken);
        var bytes = await ReadBoundedAsync(response.Content, _options.MaxResponseBytes, relative, "answer", cancellationToken);
        try
        {
            return JsonSerializer.Deserialize(bytes, type) ?? throw new JsonException("null document");
        }
        catch (JsonException ex)
        {
            throw new GitHubException($"GitHub answered {relative} with JSON the client does not understand", response.StatusCode, relative, ex);
        }
    }

    private static async Task EnsureSuccessAsync(HttpResponseMessage response, string relative, CancellationToken cancellationToken)
    {
        if (response.IsSuccessStatusCode)
        {
            return;
        }

        var message = await ErrorMessageAsync(response, cancellationToken);
        throw new GitHubException(
            Invariant($"GitHub answered {(int)response.StatusCode} {response.StatusCode} to {relative}{(message is null ? string.Empty : ": " + message)}"),
            response.StatusCode,
            relative);
    }

    /// <summary>GitHub's <c>message</c>, shortened and stripped of control characters (it is echoed into logs).</summary>
    private static async Task<string?> ErrorMessageAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        try
        {
            // Buffered (bounded) so that a second look, after the rate-limit check, reads the same bytes.
            await response.Content.LoadIntoBufferAsync(64 * 1024, cancellationToken);
            var bytes = await response.Content.ReadAsByteArrayAsync(cancellationToken);
            var message = JsonSerializer.Deserialize(bytes, GitHubJsonContext.Default.GitHubErrorBody)?.Message;
            if (message is null)
            {
                return null;
            }

            var clean = new string(message.Where(c => !char.IsControl(c)).Take(300).ToArray());
            return clean;
        }
        catch (Exception ex) when (ex is JsonException or GitHubException or HttpRequestException)
        {
            return null;
        }
    }

    private static async Task<byte[]> ReadBoundedAsync(HttpContent content, int max, string relative, string what, CancellationToken cancellationToken) =>
        await BoundedContent.ReadAsync(content, max, cancellationToken)
        ?? throw new GitHubException(Invariant($"GitHub's {what} for {relative} is larger than {max} bytes"), null, relative);

    /// <summary>Sends one request, waiting out rate limits; the caller owns (and disposes) the answer.</summary>
    private async Task<HttpResponseMessage> SendAsync(string relative, Func<HttpRequestMessage> create, CancellationToken cancellationToken)
    {
        for (var attempt = 0; ; attempt++)
        {
            await WaitForBudgetAsync(relative, cancellationToken);
            using var request = create();
            if (_token is not null && Uri.Compare(request.RequestUri, _base, UriComponents.SchemeAndServer, UriFormat.Unescaped, StringComparison.OrdinalIgnoreCase) == 0)
            {
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _token);
            }

            HttpResponseMessage response;
            try
            {
                response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
            }
            catch (HttpRequestException ex)
            {
                throw new GitHubException($"GitHub did not answer {relative}: {ex.Message}", null, relative, ex);
            }
            catch (TaskCanceledException ex) when (!cancellationToken.IsCancellationRequested)
            {
                throw new GitHubException($"GitHub did not answer {relative} within {_options.RequestTimeout}", null, relative, ex);
            }

            RecordRateLimit(response);
            LogRequest(_logger, request.Method.Method, relative, (int)response.StatusCode, RateLimitRemaining);
            var wait = await RateLimitWaitAsync(response, cancellationToken);
            if (wait is null)
            {
                return response;
            }

            var retryAt = _time.GetUtcNow() + wait.Value;
            response.Dispose();
            if (attempt >= _options.MaxRateLimitRetries || wait.Value > _options.MaxRateLimitWait)
            {
                throw new GitHubException(
                    Invariant($"GitHub rate limit reached for {relative}; try again after {retryAt:u}"), (HttpStatusCode)429, relative)
                { RetryAt = retryAt };
            }

            LogRateLimited(_logger, relative, wait.Value, retryAt);
            await Task.Delay(wait.Value, _time, cancellationToken);
        }
    }

    /// <summary>When the last answer said the budget is spent, waits until its reset time.</summary>
    private async Task WaitForBudgetAsync(string relative, CancellationToken cancellationToken)
    {
        TimeSpan wait;
        DateTimeOffset reset;
        lock (_gate)
        {
            if (_remaining is not 0 || _reset is null)
            {
                return;
            }

            reset = _reset.Value;
            wait = reset - _time.GetUtcNow();
        }

        if (wait > TimeSpan.Zero)
        {
            if (wait > _options.MaxRateLimitWait)
            {
                throw new GitHubException(Invariant($"GitHub rate limit spent until {reset:u}"), (HttpStatusCode)429, relative) { RetryAt = reset };
            }

            LogRateLimited(_logger, relative, wait, reset);
            await Task.Delay(wait, _time, cancellationToken);
        }

        lock (_gate)
        {
            // The reset passed: the budget is new (the next answer tells its size).
            if (_reset == reset)
            {
                _remaining = null;
            }
        }
    }

    private void RecordRateLimit(HttpResponseMessage response)
    {
        var remaining = HeaderLong(response, "x-ratelimit-remaining");
        var reset = HeaderLong(response, "x-ratelimit-reset");
        if (remaining is null)
        {
            return;
        }

        lock (_gate)
        {
            _remaining = (int)Math.Clamp(remaining.Value, 0, int.MaxValue);
            _reset = reset is null ? null : DateTimeOffset.FromUnixTimeSeconds(reset.Value);
        }
    }

    /// <summary>For a rate-limit answer, how long to wait before trying again (GitHub's documented order); else null.</summary>
    private async Task<TimeSpan?> RateLimitWaitAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        if (response.StatusCode is not (HttpStatusCode.Forbidden or HttpStatusCode.TooManyRequests))
        {
            return null;
        }

        var retryAfter = response.Headers.RetryAfter;
        if (retryAfter?.Delta is { } delta)
        {
            return delta < TimeSpan.Zero ? TimeSpan.Zero : delta;
        }

        if (retryAfter?.Date is { } date)
        {
            var until = date - _time.GetUtcNow();
            return until < TimeSpan.Zero ? TimeSpan.Zero : until;
        }

        if (HeaderLong(response, "x-ratelimit-remaining") == 0 && HeaderLong(response, "x-ratelimit-reset") is { } reset)
        {
            var until = DateTimeOffset.FromUnixTimeSeconds(reset) - _time.GetUtcNow();
            return until < TimeSpan.Zero ? TimeSpan.Zero : until;
        }

        if (response.StatusCode == HttpStatusCode.TooManyRequests)
        {
            return SecondaryLimitWait;
        }

        // A 403 is a rate limit only when GitHub says so; otherwise it is a real "forbidden".
        var message = await ErrorMessageAsync(response, cancellationToken);
        return message is not null && message.Contains("rate limit", StringComparison.OrdinalIgnoreCase) ? SecondaryLimitWait : null;
    }

    private static long? HeaderLong(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) &&
        long.TryParse(values.FirstOrDefault(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var value)
            ? value
            : null;
}
