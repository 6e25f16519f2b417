using System.Net;

namespace CvmfsImages.Sync.GitHub;

/// <summary>
/// A GitHub API call failed. Carries the HTTP status, the request path (never a token or a query with one) and, for
/// rate limits, when to try again. The message holds at most GitHub's own short error message.
/// </summary>
public class GitHubException : Exception
{
    public GitHubException(string message, HttpStatusCode? status, string? requestPath, Exception? innerException = null)
        : base(message, innerException)
    {
        Status = status;
        RequestPath = requestPath;
    }

    public GitHubException()
        : this("GitHub request failed", null, null)
    {
    }

    public GitHubException(string message)
        : this(message, null, null)
    {
    }

    public GitHubException(string message, Exception innerException)
        : this(message, null, null, innerException)
    {
    }

    /// <summary>The HTTP status GitHub answered, or null when no answer came (network, timeout, oversize).</summary>
    public HttpStatusCode? Status { get; }

    /// <summary>The API path, e.g. <c>repos/o/r/contents/images.txt</c>.</summary>
    public string? RequestPath { get; }

    /// <summary>When a rate limit stopped the call: the earliest time to try again; otherwise null.</summary>
    public DateTimeOffset? RetryAt { get; init; }

    /// <summary>True when trying again later may succeed (rate limit, 5xx, no answer).</summary>
    public bool IsTransient => RetryAt is not null || Status is null || (int)Status >= 500;
}
