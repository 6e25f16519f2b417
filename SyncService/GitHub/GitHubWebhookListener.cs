using System.Net;
using System.Text.Json;
using CvmfsImages.Registry.Transport;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace CvmfsImages.Sync.GitHub;

/// <summary>
/// The webhook endpoint, <c>POST /github/webhook</c> on <c>serve</c>'s HTTP host (when <see cref="GitHubOptions.Webhook"/>
/// is on; keep the host on loopback behind a TLS proxy). Accepts GitHub's <c>push</c>, <c>pull_request</c> and
/// <c>ping</c> events. Every request must carry <c>X-Hub-Signature-256</c> for its exact body with the shared secret:
/// missing is 401, wrong is 403, compared in constant time. Bodies over <see cref="GitHubOptions.MaxWebhookBytes"/> get
/// 413 (announced or not); a content type other than JSON is 415. A push to the list's branch raises
/// <see cref="ListChanged"/>; a pull-request event raises <see cref="PullRequestChanged"/> (and, when merged,
/// <see cref="ListChanged"/>), after the answer is sent. Polling stays the fallback, so a lost event only delays.
/// </summary>
internal sealed partial class GitHubWebhookListener
{
    /// <summary>Where the host maps it.</summary>
    public const string Route = "/github/webhook";

    private static readonly HashSet<string> PullRequestActions = new(StringComparer.Ordinal)
    {
        "opened", "reopened", "synchronize", "edited", "ready_for_review", "closed",
    };

    private readonly GitHubOptions _options;
    private readonly string _secret;
    private readonly ILogger _logger;

    public GitHubWebhookListener(GitHubOptions options, ILogger<GitHubWebhookListener>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        _secret = options.ResolveWebhookSecret()
                  ?? throw new GitHubOptionsException($"{GitHubOptions.SectionName}:{nameof(GitHubOptions.WebhookSecret)}", "is required for the webhook");
        _logger = (ILogger?)logger ?? NullLogger.Instance;
    }

    /// <summary>The list's branch changed (push, or a merged PR): poll the list now.</summary>
    public event EventHandler? ListChanged;

    /// <summary>A pull request was opened, updated or closed: check it now.</summary>
    public event EventHandler<PullRequestEventArgs>? PullRequestChanged;

    /// <summary>Answers one delivery; raises the events after the answer is written.</summary>
    public async Task HandleAsync(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        Action? raise = null;
        var (status, text) = await ProcessAsync(context.Request, r => raise = r, context.RequestAborted);
        context.Response.StatusCode = (int)status;
        context.Response.ContentType = "text/plain; charset=utf-8";
        await context.Response.WriteAsync(text + "\n", context.RequestAborted);
        await context.Response.CompleteAsync();

        // After the answer: GitHub wants one within 10 s, and a subscriber's work must not delay it.
        try
        {
            raise?.Invoke();
        }
#pragma warning disable CA1031 // A subscriber's failure must not take the endpoint down; it is logged.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            LogSubscriberFailed(_logger, ex);
        }
    }

    private async Task<(HttpStatusCode Status, string Text)> ProcessAsync(HttpRequest request, Action<Action> onAccepted, CancellationToken ct)
    {
        var delivery = request.Headers["X-GitHub-Delivery"].ToString();
        if (request.ContentLength > _options.MaxWebhookBytes)
        {
            LogRejected(_logger, "body too large", delivery);
            return (HttpStatusCode.RequestEntityTooLarge, "payload too large");
        }

        // Kestrel enforces the bound on bodies without a length too (chunked): one byte more than allowed is a 413.
        if (request.HttpContext.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size)
        {
            size.MaxRequestBodySize = _options.MaxWebhookBytes;
        }

        byte[]? body;
        try
        {
            body = await BoundedContent.ReadAsync(request.Body, _options.MaxWebhookBytes, ct);
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            body = null;
        }

        if (body is null)
        {
            LogRejected(_logger, "body too large", delivery);
            return (HttpStatusCode.RequestEntityTooLarge, "payload too large");
        }

        var signature = request.Headers["X-Hub-Signature-256"].ToString();
        if (string.IsNullOrEmpty(signature))
        {
            LogRejected(_logger, "no X-Hub-Signature-256", delivery);
            return (HttpStatusCode.Unauthorized, "missing X-Hub-Signature-256");
        }

        if (!WebhookSignature.Verify(_secret, body, signature))
        {
            LogRejected(_logger, "wrong signature", delivery);
            return (HttpStatusCode.Forbidden, "signature does not match");
        }

        var eventName = request.Headers["X-GitHub-Event"].ToString();
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
