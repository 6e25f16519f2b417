using System.Net;

namespace CvmfsImages.Registry;

/// <summary>One HTTP exchange with a registry (each attempt), for metrics. Holds no URLs with queries and no secrets.</summary>
public sealed class RegistryRequestEventArgs : EventArgs
{
    public RegistryRequestEventArgs(string registry, string method, HttpStatusCode? statusCode, TimeSpan elapsed)
        : this(registry, method, statusCode, elapsed, httpVersion: null)
    {
    }

    public RegistryRequestEventArgs(string registry, string method, HttpStatusCode? statusCode, TimeSpan elapsed, Version? httpVersion)
    {
        Registry = registry;
        Method = method;
        StatusCode = statusCode;
        Elapsed = elapsed;
        HttpVersion = httpVersion;
    }

    /// <summary>The host (with port) the request went to.</summary>
    public string Registry { get; }

    /// <summary>GET, HEAD, PUT, ...</summary>
    public string Method { get; }

    /// <summary>The response status, or null when no response came (network failure, timeout).</summary>
    public HttpStatusCode? StatusCode { get; }

    /// <summary>The HTTP version of the response (1.1, 2.0), or null when no response came.</summary>
    public Version? HttpVersion { get; }

    /// <summary>Time until the response headers (or the failure).</summary>
    public TimeSpan Elapsed { get; }
}
