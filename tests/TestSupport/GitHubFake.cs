using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using System.Web;

namespace CvmfsImages.TestSupport;

/// <summary>
/// A small GitHub REST fake on 127.0.0.1 under <c>/api/v3</c> (the GitHub Enterprise layout), holding one repository
/// with one branch, its list file, pull requests, commit statuses and issue comments. It serves exactly the calls the
/// service makes, in GitHub's documented shapes: repository, contents (raw, ETag, If-None-Match, 304),
/// pulls (list, single, files with patch, Link pagination), statuses, issue comments (list, create, edit), and
/// rate-limit headers with a 403 when the budget is spent. Every request is recorded for assertions.
/// <see cref="Intercept"/> injects faults.
/// </summary>
public sealed class GitHubFake : IAsyncDisposable
{
    private readonly HttpListener _listener;
    private readonly Task _loop;
    private readonly Lock _gate = new();
    private readonly List<GitHubFakeRequest> _requests = [];
    private readonly Dictionary<string, Dictionary<string, string>> _commits = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _branches = new(StringComparer.Ordinal);
    private readonly List<GitHubFakePullRequest> _pulls = [];
    private readonly List<GitHubFakeComment> _comments = [];
    private readonly List<(string Sha, JsonObject Status)> _statuses = [];
    private long _nextId = 1000;
    private int _commitCounter;

    private GitHubFake(HttpListener listener, int port, string owner, string repository, string defaultBranch, string? token)
    {
        _listener = listener;
        Port = port;
        Owner = owner;
        Repository = repository;
        DefaultBranch = defaultBranch;
        Token = token;
        _branches[defaultBranch] = NewCommit(new Dictionary<string, string>(StringComparer.Ordinal));
        _loop = Task.Run(LoopAsync);
    }

    public int Port { get; }

    public string Owner { get; }

    public string Repository { get; }

    public string DefaultBranch { get; }

    /// <summary>The token the fake accepts (<c>Authorization: Bearer</c> or <c>token</c>); null: anonymous is fine.</summary>
    public string? Token { get; }

    /// <summary>Login the fake gives to comments created with <see cref="Token"/>.</summary>
    public string BotLogin { get; set; } = "image-sync-bot";

    /// <summary>The API root as GitHub Enterprise spells it: <c>http://127.0.0.1:PORT/api/v3</c>.</summary>
    public Uri ApiBaseUrl => new(string.Create(CultureInfo.InvariantCulture, $"http://127.0.0.1:{Port}/api/v3"));

    /// <summary>The fake's clock for rate-limit resets (share the test's TimeProvider).</summary>
    public Func<DateTimeOffset> Now { get; set; } = () => DateTimeOffset.UtcNow;

    public int RateLimit { get; set; } = 5000;

    public int RateLimitRemaining { get; set; } = 5000;

    public DateTimeOffset RateLimitReset { get; set; } = DateTimeOffset.UtcNow.AddHours(1);

    /// <summary>Called for every request first; a non-null answer (status, extra headers, JSON body) is sent as is.</summary>
    public Func<GitHubFakeRequest, (int Status, IReadOnlyDictionary<string, string>? Headers, string? Body)?>? Intercept { get; set; }

    /// <summary>Everything received so far.</summary>
    public IReadOnlyList<GitHubFakeRequest> Requests
    {
        get
        {
            lock (_gate)
            {
                return [.. _requests];
            }
        }
    }

    public static Task<GitHubFake> StartAsync(string owner = "osg", string repository = "images", string defaultBranch = "main", string? token = "ghp_test_token_not_secret")
    {
        for (var attempt = 0; ; attempt++)
        {
            var port = FreePort();
            var listener = new HttpListener();
            listener.Prefixes.Add(string.Create(CultureInfo.InvariantCulture, $"http://127.0.0.1:{port}/"));
            try
            {
                listener.Start();
                return Task.FromResult(new GitHubFake(listener, port, owner, repository, defaultBranch, token));
            }
            catch (HttpListenerException) when (attempt < 5)
            {
                listener.Close();
            }
        }
    }

    /// <summary>Commits <paramref name="text"/> as <paramref name="path"/> on the default branch; returns the commit id.</summary>
    public string CommitFile(string path, string text)
    {
        lock (_gate)
        {
            var files = new Dictionary<string, string>(_commits[_branches[DefaultBranch]], StringComparer.Ordinal) { [path] = text };
            return _branches[DefaultBranch] = NewCommit(files);
        }
    }

    /// <summary>The text of <paramref name="path"/> on the default branch.</summary>
    public string? FileOnDefaultBranch(string path)
    {
        lock (_gate)
        {
            return _commits[_branches[DefaultBranch]].GetValueOrDefault(path);
        }
    }

    /// <summary>Opens a PR that changes <paramref name="path"/> to <paramref name="newText"/> (based on the default branch now).</summary>
    public GitHubFakePullRequest OpenPullRequest(string path, string newText, string title = "Add my image", string author = "vo-user")
    {
        lock (_gate)
        {
            var baseSha = _branches[DefaultBranch];
            var files = new Dictionary<string, string>(_commits[baseSha], StringComparer.Ordinal) { [path] = newText };
            var pr = new GitHubFakePullRequest(_pulls.Count + 1, title, author, DefaultBranch)
            {
                BaseSha = baseSha,
                HeadSha = NewCommit(files),
                Path = path,
                HeadText = newText,
                BaseText = _commits[baseSha].GetValueOrDefault(path) ?? string.Empty,
                UpdatedAt = Now(),
            };
            _pulls.Add(pr);
            return pr;
        }
    }

    /// <summary>Pushes a new head commit to an open PR.</summary>
    public void UpdatePullRequest(int number, string newText)
    {
        lock (_gate)
        {
            var pr = _pulls.Single(p => p.Number == number);
            var files = new Dictionary<string, string>(_commits[pr.HeadSha], StringComparer.Ordinal) { [pr.Path] = newText };
            pr.HeadSha = NewCommit(files);
            pr.HeadText = newText;
            pr.UpdatedAt = Now();
        }
    }

    /// <summary>Merges a PR: the default branch gets its head's list text (a merge commit).</summary>
    public void MergePullRequest(int number)
    {
        lock (_gate)
        {
            var pr = _pulls.Single(p => p.Number == number);
            var files = new Dictionary<string, string>(_commits[_branches[DefaultBranch]], StringComparer.Ordinal) { [pr.Path] = pr.HeadText };
            _branches[DefaultBranch] = NewCommit(files);
            pr.State = "closed";
            pr.MergedAt = Now();
            pr.MergeCommitSha = _branches[DefaultBranch];
            pr.UpdatedAt = Now();
        }
    }

    public IReadOnlyList<GitHubFakeComment> Comments(int issue)
    {
        lock (_gate)
        {
            return [.. _comments.Where(c => c.Issue == issue)];
        }
    }

    /// <summary>Adds a comment as someone else (e.g. a VO user quoting the bot's marker).</summary>
    public GitHubFakeComment AddComment(int issue, string login, string body)
    {
        lock (_gate)
        {
            var comment = new GitHubFakeComment(_nextId++, issue, login, body);
            _comments.Add(comment);
            return comment;
        }
    }

    /// <summary>The statuses posted for a commit, oldest first, as the JSON bodies the client sent.</summary>
    public IReadOnlyList<JsonObject> Statuses(string sha)
    {
        lock (_gate)
        {
            return [.. _statuses.Where(s => s.Sha == sha).Select(s => s.Status)];
        }
    }

    public async ValueTask DisposeAsync()
    {
        _listener.Stop();
        await _loop.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        _listener.Close();
    }

    private string NewCommit(Dictionary<string, string> files)
    {
        var sha = Sha40(string.Create(CultureInfo.InvariantCulture, $"commit {++_commitCounter} {Guid.NewGuid()}"));
        _commits[sha] = files;
        return sha;
    }

    private async Task LoopAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception ex) when (ex is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }

            _ = Task.Run(() => ServeAsync(context));
        }
    }

    private async Task ServeAsync(HttpListenerContext context)
    {
        try
        {
            string body;
            using (var reader = new StreamReader(context.Request.InputStream, Encoding.UTF8))
            {
                body = await reader.ReadToEndAsync();
            }

            var headers = context.Request.Headers.AllKeys.Where(k => k is not null)
                .ToDictionary(k => k!.ToLowerInvariant(), k => context.Request.Headers[k]!, StringComparer.Ordinal);
            var request = new GitHubFakeRequest(context.Request.HttpMethod, context.Request.Url!.PathAndQuery, headers, body);
            lock (_gate)
            {
                _requests.Add(request);
            }

            var (status, extra, content, contentType) = Answer(request);
            var response = context.Response;
            response.StatusCode = status;
            foreach (var (name, value) in extra)
            {
                response.Headers[name] = value;
            }

            if (content is not null && status != 304)
            {
                var bytes = Encoding.UTF8.GetBytes(content);
                response.ContentType = contentType;
                response.ContentLength64 = bytes.Length;
                await response.OutputStream.WriteAsync(bytes);
            }

            response.Close();
        }
        catch (Exception ex) when (ex is HttpListenerException or IOException or ObjectDisposedException)
        {
            // The client went away.
        }
    }

    private (int Status, Dictionary<string, string> Headers, string? Body, string ContentType) Answer(GitHubFakeRequest request)
    {
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        if (Intercept?.Invoke(request) is { } injected)
        {
            foreach (var (k, v) in injected.Headers ?? new Dictionary<string, string>())
            {
                headers[k] = v;
            }

            return (injected.Status, headers, injected.Body, "application/json; charset=utf-8");
        }

        lock (_gate)
        {
            if (Token is not null)
            {
                var auth = request.Header("Authorization");
                if (auth != "Bearer " + Token && auth != "token " + Token)
                {
                    return (401, headers, Error("Bad credentials"), "application/json; charset=utf-8");
                }
            }

            var now = Now();
            if (now >= RateLimitReset)
            {
                RateLimitRemaining = RateLimit;
                RateLimitReset = now.AddHours(1);
            }

            void RateHeaders()
            {
                headers["x-ratelimit-limit"] = RateLimit.ToString(CultureInfo.InvariantCulture);
                headers["x-ratelimit-remaining"] = RateLimitRemaining.ToString(CultureInfo.InvariantCulture);
                headers["x-ratelimit-reset"] = RateLimitReset.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
                headers["x-ratelimit-resource"] = "core";
            }

            if (RateLimitRemaining <= 0)
            {
                RateHeaders();
                return (403, headers, Error("API rate limit exceeded for user ID 1. If you reach out to GitHub Support for help, please include the request ID."), "application/json; charset=utf-8");
            }

            var (status, body, type) = Route(request, headers);
            if (status != 304)
            {
                RateLimitRemaining--;
            }

            RateHeaders();
            return (status, headers, body, type);
        }
    }

    private (int Status, string? Body, string ContentType) Route(GitHubFakeRequest request, Dictionary<string, string> headers)
    {
        const string json = "application/json; charset=utf-8";
        var repoPrefix = $"/api/v3/repos/{Owner}/{Repository}";
        var path = Uri.UnescapeDataString(request.Path);
        var query = HttpUtility.ParseQueryString(request.PathAndQuery.Contains('?', StringComparison.Ordinal) ? request.PathAndQuery[(request.PathAndQuery.IndexOf('?', StringComparison.Ordinal) + 1)..] : string.Empty);
        if (!path.StartsWith(repoPrefix, StringComparison.Ordinal))
        {
            return (404, Error("Not Found"), json);
        }

        var rest = path[repoPrefix.Length..];
        var parts = rest.Split('/', StringSplitOptions.RemoveEmptyEntries);
        switch (request.Method, parts)
        {
            case ("GET", []):
                return (200, new JsonObject
                {
                    ["id"] = 1,
                    ["name"] = Repository,
                    ["full_name"] = $"{Owner}/{Repository}",
                    ["default_branch"] = DefaultBranch,
                    ["private"] = false,
                }.ToJsonString(), json);

            case ("GET", ["contents", ..]):
                {
                    var filePath = string.Join('/', parts[1..]);
                    var reference = query["ref"] ?? DefaultBranch;
                    var sha = _branches.GetValueOrDefault(reference) ?? (_commits.ContainsKey(reference) ? reference : null);
                    if (sha is null || !_commits[sha].TryGetValue(filePath, out var text))
                    {
                        return (404, Error("Not Found"), json);
                    }

                    var etag = "W/\"" + Sha40(text) + "\"";
                    headers["ETag"] = etag;
                    if (request.Header("If-None-Match") == etag)
                    {
                        return (304, null, json);
                    }

                    if (request.Header("Accept")?.Contains("application/vnd.github.raw", StringComparison.Ordinal) == true)
                    {
                        return (200, text, "application/vnd.github.raw; charset=utf-8");
                    }

                    return (200, new JsonObject
                    {
                        ["type"] = "file",
                        ["encoding"] = "base64",
                        ["path"] = filePath,
                        ["content"] = Convert.ToBase64String(Encoding.UTF8.GetBytes(text)),
                    }.ToJsonString(), json);
                }

            case ("GET", ["pulls"]):
                {
                    var state = query["state"] ?? "open";
                    var baseBranch = query["base"];
                    var items = _pulls.Where(p => state == "all" || p.State == state)
                        .Where(p => baseBranch is null || p.BaseBranch == baseBranch)
                        .OrderByDescending(p => query["sort"] == "updated" ? p.UpdatedAt.UtcTicks : p.Number)
                        .Select(PullJson).ToList();
                    return (200, Page(request, query, items, headers), json);
                }

            case ("GET", ["pulls", var n]) when Pull(n) is { } pr:
                return (200, PullJson(pr).ToJsonString(), json);

            case ("GET", ["pulls", var n, "files"]) when Pull(n) is { } pr:
                {
                    var file = new JsonObject
                    {
                        ["sha"] = Sha40(pr.HeadText),
                        ["filename"] = pr.Path,
                        ["status"] = pr.BaseText.Length == 0 ? "added" : "modified",
                        ["additions"] = 1,
                        ["deletions"] = 0,
                        ["changes"] = 1,
                    };
                    if (pr.IncludePatch)
                    {
                        file["patch"] = UnifiedDiff.Create(pr.BaseText, pr.HeadText);
                    }

                    var other = new JsonObject { ["sha"] = new string('0', 40), ["filename"] = "README.md", ["status"] = "modified", ["patch"] = "@@ -1 +1 @@\n-a\n+b" };
                    return (200, Page(request, query, [other, file], headers), json);
                }

            case ("POST", ["statuses", var sha]):
                {
                    var status = JsonNode.Parse(request.Body)!.AsObject();
                    var state = status["state"]?.GetValue<string>();
                    if (state is not ("pending" or "success" or "failure" or "error") || (status["description"]?.GetValue<string>().Length ?? 0) > 140)
                    {
                        return (422, Error("Validation Failed"), json);
                    }

                    _statuses.Add((sha, status));
                    status["id"] = _nextId++;
                    return (201, status.ToJsonString(), json);
                }

            case ("GET", ["issues", var n, "comments"]):
                {
                    var items = _comments.Where(c => c.Issue.ToString(CultureInfo.InvariantCulture) == n).OrderBy(c => c.Id).Select(CommentJson).ToList();
                    return (200, Page(request, query, items, headers), json);
                }

            case ("POST", ["issues", var n, "comments"]):
                {
                    var text = JsonNode.Parse(request.Body)!["body"]!.GetValue<string>();
                    if (text.Length > 65536)
                    {
                        return (422, Error("Validation Failed: body is too long (maximum is 65536 characters)"), json);
                    }

                    var comment = new GitHubFakeComment(_nextId++, int.Parse(n, CultureInfo.InvariantCulture), BotLogin, text);
                    _comments.Add(comment);
                    return (201, CommentJson(comment).ToJsonString(), json);
                }

            case ("PATCH", ["issues", "comments", var id]):
                {
                    var comment = _comments.SingleOrDefault(c => c.Id.ToString(CultureInfo.InvariantCulture) == id);
                    if (comment is null)
                    {
                        return (404, Error("Not Found"), json);
                    }

                    comment.Body = JsonNode.Parse(request.Body)!["body"]!.GetValue<string>();
                    comment.Edits++;
                    return (200, CommentJson(comment).ToJsonString(), json);
                }

            default:
                return (404, Error("Not Found"), json);
        }
    }

    private GitHubFakePullRequest? Pull(string number) =>
        _pulls.SingleOrDefault(p => p.Number.ToString(CultureInfo.InvariantCulture) == number);

    private string Page(GitHubFakeRequest request, System.Collections.Specialized.NameValueCollection query, List<JsonObject> items, Dictionary<string, string> headers)
    {
        var perPage = int.TryParse(query["per_page"], CultureInfo.InvariantCulture, out var pp) ? Math.Clamp(pp, 1, 100) : 30;
        var page = int.TryParse(query["page"], CultureInfo.InvariantCulture, out var pg) ? Math.Max(pg, 1) : 1;
        var slice = items.Skip((page - 1) * perPage).Take(perPage).ToList();
        if (page * perPage < items.Count)
        {
            query["page"] = (page + 1).ToString(CultureInfo.InvariantCulture);
            var next = string.Create(CultureInfo.InvariantCulture, $"http://127.0.0.1:{Port}{request.Path}?{query}");
            headers["Link"] = $"<{next}>; rel=\"next\"";
        }

        return new JsonArray([.. slice]).ToJsonString();
    }

    private JsonObject PullJson(GitHubFakePullRequest pr) => new()
    {
        ["number"] = pr.Number,
        ["state"] = pr.State,
        ["title"] = pr.Title,
        ["html_url"] = $"https://github.example/{Owner}/{Repository}/pull/{pr.Number}",
        ["user"] = new JsonObject { ["login"] = pr.Author, ["type"] = "User" },
        ["head"] = new JsonObject { ["ref"] = "feature-" + pr.Number, ["sha"] = pr.HeadSha },
        ["base"] = new JsonObject { ["ref"] = pr.BaseBranch, ["sha"] = pr.BaseSha },
        ["merged_at"] = pr.MergedAt?.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture),
        ["merge_commit_sha"] = pr.MergeCommitSha,
        ["updated_at"] = pr.UpdatedAt.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture),
    };

    private static JsonObject CommentJson(GitHubFakeComment comment) => new()
    {
        ["id"] = comment.Id,
        ["body"] = comment.Body,
        ["user"] = new JsonObject { ["login"] = comment.Login, ["type"] = comment.Login.EndsWith("[bot]", StringComparison.Ordinal) ? "Bot" : "User" },
    };

    private static string Error(string message) =>
        new JsonObject { ["message"] = message, ["documentation_url"] = "https://docs.github.com/rest" }.ToJsonString();

    /// <summary>A git-like 40-hex id (SHA-256 cut to SHA-1's length; git ids only need to be unique here).</summary>
    private static string Sha40(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)))[..40];

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
