using System.Globalization;

namespace CvmfsImages.Sync.GitHub;

/// <summary>
/// Configuration section <c>GitHub</c>: where the reviewed image list lives on GitHub (or GitHub Enterprise), how the
/// service authenticates, the webhook endpoint, pull-request checks and publish notices. Defaults live here, each
/// documented; <see cref="Validate"/> rejects a nonsensical value naming its key instead of clamping it.
/// </summary>
public sealed class GitHubOptions
{
    /// <summary>The configuration section this binds from.</summary>
    public const string SectionName = "GitHub";

    /// <summary>REST API root: <c>https://api.github.com</c>, or <c>https://HOST/api/v3</c> for GitHub Enterprise.</summary>
    public Uri ApiBaseUrl { get; set; } = new("https://api.github.com");

    /// <summary>Owner (user or organisation) of the repository holding the list. Required.</summary>
    public string Owner { get; set; } = string.Empty;

    /// <summary>Repository holding the list. Required.</summary>
    public string Repository { get; set; } = string.Empty;

    /// <summary>Branch to read the list from; null or empty: the repository's default branch.</summary>
    public string? Branch { get; set; }

    /// <summary>Path of the list inside the repository.</summary>
    public string Path { get; set; } = "images.txt";

    /// <summary>The token (a PAT or an installation token). Prefer <see cref="TokenEnvironmentVariable"/>. Never logged.</summary>
    public string? Token { get; set; }

    /// <summary>Environment variable read for the token when <see cref="Token"/> is not set.</summary>
    public string TokenEnvironmentVariable { get; set; } = "GITHUB_TOKEN";

    /// <summary>Longest list file accepted (main branch or a PR's version), in bytes.</summary>
    public int MaxListBytes { get; set; } = 1024 * 1024;

    /// <summary>Most lines accepted in a list file.</summary>
    public int MaxListLines { get; set; } = 20_000;

    /// <summary>Largest JSON answer read from the API, in bytes.</summary>
    public int MaxResponseBytes { get; set; } = 8 * 1024 * 1024;

    /// <summary>Most pages followed for one paginated listing (100 items a page).</summary>
    public int MaxPages { get; set; } = 10;

    /// <summary>Timeout of one API request.</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>How often one request is retried after a rate-limit answer before giving up.</summary>
    public int MaxRateLimitRetries { get; set; } = 3;

    /// <summary>Longest wait for a rate-limit reset; a longer one fails the request (it is tried again next poll).</summary>
    public TimeSpan MaxRateLimitWait { get; set; } = TimeSpan.FromMinutes(65);

    /// <summary>
    /// Serve the webhook, <c>POST /github/webhook</c>, on <c>serve</c>'s HTTP host (<c>Http:Urls</c>; keep it on loopback
    /// behind a TLS-terminating proxy). False: no webhook (polling only).
    /// </summary>
    public bool Webhook { get; set; }

    /// <summary>
    /// No longer used: the webhook was an <c>HttpListener</c> prefix of its own; it is now <c>POST /github/webhook</c> on
    /// the HTTP host. A value is refused with a message saying what to set instead.
    /// </summary>
    public string? WebhookPrefix { get; set; }

    /// <summary>The webhook's shared secret (required with <see cref="Webhook"/>). Never logged.</summary>
    public string? WebhookSecret { get; set; }

    /// <summary>Environment variable read for the webhook secret when <see cref="WebhookSecret"/> is not set.</summary>
    public string WebhookSecretEnvironmentVariable { get; set; } = "GITHUB_WEBHOOK_SECRET";

    /// <summary>Largest webhook body accepted, in bytes (GitHub caps payloads at 25 MB; ours are far smaller).</summary>
    public int MaxWebhookBytes { get; set; } = 1024 * 1024;

    /// <summary>Check open pull requests that change the list.</summary>
    public bool CheckPullRequests { get; set; } = true;

    /// <summary>
    /// Registries (<c>host[:port]</c>) the pull-request check may contact for unreviewed PR lines. Empty: any public
    /// registry, never <c>localhost</c>, single-label names or loopback/private/link-local IP literals. Set: only these
    /// (and the <c>Registry:Hosts</c> keys). A line naming another registry fails the check, saying why.
    /// </summary>
    public List<string> AllowedRegistries { get; set; } = [];

    /// <summary>How often open pull requests are polled (webhooks make it sooner).</summary>
    public TimeSpan PullRequestPollInterval { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Most open pull requests looked at per poll.</summary>
    public int MaxOpenPullRequests { get; set; } = 100;

    /// <summary>Most changed lines judged in one pull request; a larger change fails with "split it".</summary>
    public int MaxChangedLines { get; set; } = 200;

    /// <summary>The commit-status context shown on the PR.</summary>
    public string StatusContext { get; set; } = "cvmfs-image-sync/list";

    /// <summary>
    /// Login of the account the token belongs to (e.g. <c>osg-bot</c> or <c>my-app[bot]</c>). When set, only its
    /// comments are edited in place; when null, any comment carrying the hidden marker is.
    /// </summary>
    public string? BotLogin { get; set; }

    /// <summary>Comment on merged pull requests once their images are published (or failed).</summary>
    public bool PublishNotices { get; set; } = true;

    /// <summary>SQLite file remembering which pull requests and lines were answered.</summary>
    public string NoticeDatabase { get; set; } = "/var/lib/cvmfs-image-sync/github-notices.db";

    /// <summary>Only pull requests merged within this window get a publish notice.</summary>
    public TimeSpan NoticeMaxAge { get; set; } = TimeSpan.FromDays(14);

    /// <summary>
    /// Longest time the sync waits for GitHub while it tells a PR about an image (a spent rate limit can mean an hour);
    /// past it the notice waits in <see cref="NoticeDatabase"/> and the next flush (serve: every PR round) sends it.
    /// </summary>
    public TimeSpan NoticeTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Most recently updated closed pull requests scanned to map a published line to its PR.</summary>
    public int MaxMergedPullRequestsScanned { get; set; } = 100;

    /// <summary>The token: <see cref="Token"/>, else the environment variable; null when neither is set.</summary>
    public string? ResolveToken() =>
        !string.IsNullOrEmpty(Token) ? Token : NullIfEmpty(Environment.GetEnvironmentVariable(TokenEnvironmentVariable));

    /// <summary>The webhook secret: <see cref="WebhookSecret"/>, else the environment variable.</summary>
    public string? ResolveWebhookSecret() =>
        !string.IsNullOrEmpty(WebhookSecret) ? WebhookSecret : NullIfEmpty(Environment.GetEnvironmentVariable(WebhookSecretEnvironmentVariable));

    /// <summary>Checks every value; throws <see cref="GitHubOptionsException"/> naming the first bad key.</summary>
    public void Validate()
    {
        if (!ApiBaseUrl.IsAbsoluteUri || (ApiBaseUrl.Scheme != Uri.UriSchemeHttps && !(ApiBaseUrl.Scheme == Uri.UriSchemeHttp && ApiBaseUrl.IsLoopback)))
        {
            Fail(nameof(ApiBaseUrl), "must be an https URL (plain http only on loopback), e.g. https://api.github.com or https://ghe.example/api/v3");
        }

        if (!string.IsNullOrEmpty(ApiBaseUrl.Query) || !string.IsNullOrEmpty(ApiBaseUrl.Fragment) || !string.IsNullOrEmpty(ApiBaseUrl.UserInfo))
        {
            Fail(nameof(ApiBaseUrl), "must not carry a query, fragment or user information");
        }

        if (!IsName(Owner))
        {
            Fail(nameof(Owner), "is required: letters, digits, '-', '_' or '.' (the user or organisation owning the list)");
        }

        if (!IsName(Repository))
        {
            Fail(nameof(Repository), "is required: letters, digits, '-', '_' or '.'");
        }

        if (!string.IsNullOrEmpty(Branch) && !GitRefs.IsValidBranch(Branch))
        {
            Fail(nameof(Branch), "is not a valid branch name");
        }

        if (!GitRefs.IsValidRepositoryPath(Path))
        {
            Fail(nameof(Path), "must be a relative path inside the repository without '.', '..' or empty components");
        }

        if (string.IsNullOrWhiteSpace(TokenEnvironmentVariable))
        {
            Fail(nameof(TokenEnvironmentVariable), "must name an environment variable");
        }

        Positive(nameof(MaxListBytes), MaxListBytes);
        Positive(nameof(MaxListLines), MaxListLines);
        Positive(nameof(MaxResponseBytes), MaxResponseBytes);
        Positive(nameof(MaxPages), MaxPages);
        Positive(nameof(MaxWebhookBytes), MaxWebhookBytes);
        Positive(nameof(MaxOpenPullRequests), MaxOpenPullRequests);
        Positive(nameof(MaxChangedLines), MaxChangedLines);
        Positive(nameof(MaxMergedPullRequestsScanned), MaxMergedPullRequestsScanned);
        if (MaxRateLimitRetries < 0)
        {
            Fail(nameof(MaxRateLimitRetries), "must be 0 or more");
        }

        PositiveTime(nameof(RequestTimeout), RequestTimeout);
        PositiveTime(nameof(MaxRateLimitWait), MaxRateLimitWait);
        PositiveTime(nameof(PullRequestPollInterval), PullRequestPollInterval);
        PositiveTime(nameof(NoticeMaxAge), NoticeMaxAge);
        PositiveTime(nameof(NoticeTimeout), NoticeTimeout);

        foreach (var registry in AllowedRegistries)
        {
            if (string.IsNullOrWhiteSpace(registry) || registry.Contains('/', StringComparison.Ordinal) || registry.Any(char.IsWhiteSpace) || registry.Contains("://", StringComparison.Ordinal))
            {
                Fail(nameof(AllowedRegistries), $"'{registry}' is not a registry host (host[:port], e.g. 'docker.io' or 'ghcr.io')");
            }
        }

        if (string.IsNullOrWhiteSpace(StatusContext) || StatusContext.Length > 100)
        {
            Fail(nameof(StatusContext), "must be 1 to 100 characters");
        }

        if (PublishNotices && string.IsNullOrWhiteSpace(NoticeDatabase))
        {
            Fail(nameof(NoticeDatabase), "is required when PublishNotices is true");
        }

        if (!string.IsNullOrEmpty(WebhookPrefix))
        {
            Fail(nameof(WebhookPrefix), "is no longer used: the webhook is POST /github/webhook on the service's HTTP host (Http:Urls); remove WebhookPrefix, set GitHub:Webhook to true and point the proxy at /github/webhook");
        }

        if (Webhook && ResolveWebhookSecret() is null)
        {
            Fail(nameof(WebhookSecret), $"is required when Webhook is true (or set the environment variable {WebhookSecretEnvironmentVariable})");
        }
    }

    /// <summary>What the list source calls itself in logs and list problems: <c>github:owner/repo/path@branch</c>.</summary>
    public string Describe() =>
        string.Create(CultureInfo.InvariantCulture, $"github:{Owner}/{Repository}/{Path}@{(string.IsNullOrEmpty(Branch) ? "(default branch)" : Branch)}");

    private static string? NullIfEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;

    private static bool IsName(string? value) =>
        !string.IsNullOrEmpty(value) && value.Length <= 100 && value is not "." and not ".." &&
        value.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.');

    private static void Positive(string key, int value)
    {
        if (value <= 0)
        {
            Fail(key, "must be greater than 0");
        }
    }

    private static void PositiveTime(string key, TimeSpan value)
    {
        if (value <= TimeSpan.Zero)
        {
            Fail(key, "must be a positive time span");
        }
    }

    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    private static void Fail(string key, string message) => throw new GitHubOptionsException($"{SectionName}:{key}", message);
}
