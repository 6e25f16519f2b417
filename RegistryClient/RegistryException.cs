using System.Net;

namespace CvmfsImages.Registry;

/// <summary>
/// A registry refused or failed a request, or sent something the client cannot accept. Carries the HTTP status, the
/// registry's error codes (<c>MANIFEST_UNKNOWN</c>, <c>NAME_UNKNOWN</c>, <c>UNAUTHORIZED</c>, <c>DENIED</c>,
/// <c>TOOMANYREQUESTS</c>, ...), the reference asked for and whether trying again later may help. Messages never
/// contain credentials or tokens.
/// </summary>
public class RegistryException : Exception
{
    public RegistryException()
        : this("registry request failed")
    {
    }

    public RegistryException(string message)
        : this(message, null)
    {
    }

    public RegistryException(string message, Exception? innerException)
        : base(message, innerException)
    {
        Errors = [];
    }

    public RegistryException(
        string message,
        string? reference,
        HttpStatusCode? status = null,
        IReadOnlyList<RegistryError>? errors = null,
        bool isTransient = false,
        Exception? innerException = null)
        : base(message, innerException)
    {
        Reference = reference;
        Status = status;
        Errors = errors ?? [];
        IsTransient = isTransient;
    }

    /// <summary>The HTTP status of the failed response, or null when there was none (network, verification).</summary>
    public HttpStatusCode? Status { get; }

    /// <summary>The registry's error entries (possibly empty).</summary>
    public IReadOnlyList<RegistryError> Errors { get; }

    /// <summary>The image reference, repository or blob the request was about.</summary>
    public string? Reference { get; }

    /// <summary>True when the same request may succeed later (rate limit, server error, network failure).</summary>
    public bool IsTransient { get; }

    /// <summary>How long the registry asked the client to wait (<c>Retry-After</c>), when it did.</summary>
    public TimeSpan? RetryAfter { get; init; }

    /// <summary>The registry host the request went to.</summary>
    public string? Registry { get; init; }

    /// <summary>True when one of <see cref="Errors"/> has this code.</summary>
    public bool HasErrorCode(string code) => Errors.Any(e => string.Equals(e.Code, code, StringComparison.Ordinal));
}
