using System.Net;
using System.Text.Json;
using CvmfsImages.Registry.Transport;
using CvmfsImages.Sync.Configuration;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace CvmfsImages.Sync.GitHub;

/// <summary>
/// The webhook endpoint: an <see cref="HttpListener"/> on <see cref="GitHubOptions.WebhookPrefix"/> (keep it on
/// loopback behind a TLS proxy) that accepts GitHub's <c>push</c>, <c>pull_request</c> and <c>ping</c> events.
/// Every request must carry <c>X-Hub-Signature-256</c> for its exact body with the shared secret: missing is 401,
/// wrong is 403, compared in constant time. Bodies over <see cref="GitHubOptions.MaxWebhookBytes"/> get 413.
/// A push to the list's branch raises <see cref="ListChanged"/>; a pull-request event raises
/// <see cref="PullRequestChanged"/> (and, when merged, <see cref="ListChanged"/>). Polling stays the fallback, so a
/// lost event only delays.
/// </summary>
internal sealed partial class GitHubWebhookListener : IAsyncDisposable
{
    private static readonly HashSet<string> PullRequestActions = new(StringComparer.Ordinal)
    {
        "opened", "reopened", "synchronize", "edited", "ready_for_review", "closed",
    };

    private readonly GitHubOptions _options;
    private readonly string _secret;
    private readonly ILogger _logger;
    private readonly HttpListener _listener = new();
    private readonly CancellationTokenSource _stop = new();
    private Task? _loop;
    private int _disposed;

    public GitHubWebhookListener(GitHubOptions options, ILogger<GitHubWebhookListener>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        _secret = options.ResolveWebhookSecret()
                  ?? throw new GitHubOptionsException($"{GitHubOptions.SectionName}:{nameof(GitHubOptions.WebhookSecret)}", "is required for the webhook listener");
        var prefix = options.WebhookPrefix
                     ?? throw new GitHubOptionsException($"{GitHubOptions.SectionName}:{nameof(GitHubOptions.WebhookPrefix)}", "is required for the webhook listener");
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        _listener.Prefixes.Add(prefix);
    }

    /// <summary>The list's branch changed (push, or a merged PR): poll the list now.</summary>
    public event EventHandler? ListChanged;

    /// <summary>A pull request was opened, updated or closed: check it now.</summary>
    public event EventHandler<PullRequestEventArgs>? PullRequestChanged;

    /// <summary>Starts listening; throws <see cref="OptionsException"/> naming the key when the prefix cannot be bound.</summary>
    public void Start()
    {
        try
        {
            _listener.Start();
        }
        catch (HttpListenerException ex)
        {
            throw new OptionsException($"{GitHubOptions.SectionName}:{nameof(GitHubOptions.WebhookPrefix)}", $"'{_options.WebhookPrefix}' cannot be listened on: {ex.Message}", ex);
        }

        LogListening(_logger, _options.WebhookPrefix!);
        _loop = Task.Run(AcceptLoopAsync);
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _stop.CancelAsync();
        if (_listener.IsListening)
        {
            _listener.Stop();
        }

        if (_loop is not null)
        {
            await _loop.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        _listener.Close();
        _stop.Dispose();
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync().WaitAsync(_stop.Token);
            }
            catch (Exception ex) when (ex is OperationCanceledException or HttpListenerException or ObjectDisposedException)
            {
                return;
            }

            _ = Task.Run(() => HandleAsync(context));
        }
    }

    private async Task HandleAsync(HttpListenerContext context)
    {
        var request = context.Request;
        var response = context.Response;
        Action? raise = null;
        try
        {
            var (status, text) = await ProcessAsync(request, r => raise = r);
            response.StatusCode = (int)status;
            response.ContentType = "text/plain; charset=utf-8";
            var bytes = System.Text.Encoding.UTF8.GetBytes(text + "\n");
            response.ContentLength64 = bytes.Length;
            await response.OutputStream.WriteAsync(bytes, _stop.Token);
            response.Close();
        }
        catch (Exception ex) when (ex is HttpListenerException or IOException or OperationCanceledException or ObjectDisposedException)
        {
            LogRequestFailed(_logger, ex.Message);
            response.Abort();
        }

        // After the answer: GitHub wants one within 10 s, and a subscriber's work must not delay it.
        try
        {
            raise?.Invoke();
        }
#pragma warning disable CA1031 // A subscriber's failure must not take the listener down; it is logged.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            LogSubscriberFailed(_logger, ex);
        }
    }

    private async Task<(HttpStatusCode Status, string Text)> ProcessAsync(HttpListenerRequest request, Action<Action> onAccepted)
    {
        if (request.HttpMethod != "POST")
        {
            return (HttpStatusCode.MethodNotAllowed, "POST only");
        }

        if (request.ContentLength64 > _options.MaxWebhookBytes)
        {
            LogRejected(_logger, "body too large", request.Headers["X-GitHub-Delivery"]);
            return (HttpStatusCode.RequestEntityTooLarge, "payload too large");
        }

        var body = await BoundedContent.ReadAsync(request.InputStream, _options.MaxWebhookBytes, _stop.Token);
        if (body is null)
        {
            LogRejected(_logger, "body too large", request.Headers["X-GitHub-Delivery"]);
            return (HttpStatusCode.RequestEntityTooLarge, "payload too large");
        }

        var signature = request.Headers["X-Hub-Signature-256"];
        if (string.IsNullOrEmpty(signature))
        {
            LogRejected(_logger, "no X-Hub-Signature-256", request.Headers["X-GitHub-Delivery"]);
            return (HttpStatusCode.Unauthorized, "missing X-Hub-Signature-256");
        }

        if (!WebhookSignature.Verify(_secret, body, signature))
        {
            LogRejected(_logger, "wrong signature", request.Headers["X-GitHub-Delivery"]);
            return (HttpStatusCode.Forbidden, "signature does not match");
        }

        var eventName = request.Headers["X-GitHub-Event"];
        if (request.ContentType is not { } type || !type.StartsWith("application/json", StringComparison.OrdinalIgnoreCase))
        {
            return (HttpStatusCode.UnsupportedMediaType, "configure the webhook with content type application/json");
        }

        JsonElement root;
        try
        {
            using var document = JsonDocument.Parse(body, new JsonDocumentOptions { MaxDepth = 64 });
            root = document.RootElement.Clone();
        }
        catch (JsonException)
        {
            return (HttpStatusCode.BadRequest, "body is not JSON");
        }

        if (eventName == "ping")
        {
            return (HttpStatusCode.OK, "pong");
        }

        if (!IsOurRepository(root))
        {
            return (HttpStatusCode.Accepted, "ignored: another repository");
        }

        switch (eventName)
        {
            case "push":
                {
                    var pushedRef = String(root, "ref");
                    var branch = string.IsNullOrEmpty(_options.Branch)
                        ? (root.TryGetProperty("repository", out var repo) ? String(repo, "default_branch") : null)
                        : _options.Branch;
                    if (branch is null || pushedRef != "refs/heads/" + branch)
                    {
                        return (HttpStatusCode.Accepted, "ignored: another branch");
                    }

                    LogEvent(_logger, "push", 0);
                    onAccepted(() => ListChanged?.Invoke(this, EventArgs.Empty));
                    return (HttpStatusCode.Accepted, "list poll triggered");
                }

            case "pull_request":
                {
                    var action = String(root, "action") ?? string.Empty;
                    if (!PullRequestActions.Contains(action) || !root.TryGetProperty("number", out var n) || !n.TryGetInt32(out var number) || number <= 0)
                    {
                        return (HttpStatusCode.Accepted, "ignored: action not handled");
                    }

                    var merged = action == "closed" && root.TryGetProperty("pull_request", out var pr) &&
                                 pr.TryGetProperty("merged", out var m) && m.ValueKind == JsonValueKind.True;
                    LogEvent(_logger, "pull_request " + action, number);
                    onAccepted(() =>
                    {
                        PullRequestChanged?.Invoke(this, new PullRequestEventArgs(number, action, merged));
                        if (merged)
                        {
                            ListChanged?.Invoke(this, EventArgs.Empty);
                        }
                    });
                    return (HttpStatusCode.Accepted, "pull request check triggered");
                }

            default:
                return (HttpStatusCode.Accepted, "ignored: event not handled");
        }
    }

    private bool IsOurRepository(JsonElement root) =>
        root.TryGetProperty("repository", out var repository) &&
        string.Equals(String(repository, "full_name"), $"{_options.Owner}/{_options.Repository}", StringComparison.OrdinalIgnoreCase);

    private static string? String(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String
            ? value.GetString()
            : null;
}
