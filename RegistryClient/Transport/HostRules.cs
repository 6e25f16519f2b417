using System.Net;

namespace CvmfsImages.Registry.Transport;

/// <summary>Which hosts may be spoken to in plain HTTP, and how a registry name becomes a base URL.</summary>
internal static class HostRules
{
    /// <summary>True for <c>localhost</c>, 127.0.0.0/8 and ::1 (with or without port).</summary>
    public static bool IsLoopback(string authority)
    {
        ArgumentNullException.ThrowIfNull(authority);
        var host = HostOf(authority);
        return host.Equals("localhost", StringComparison.OrdinalIgnoreCase)
            || (IPAddress.TryParse(host, out var ip) && IPAddress.IsLoopback(ip));
    }

    /// <summary>The host part of <c>host[:port]</c> or <c>[v6]:port</c>, without brackets.</summary>
    public static string HostOf(string authority)
    {
        if (authority.StartsWith('['))
        {
            var end = authority.IndexOf(']', StringComparison.Ordinal);
            return end > 0 ? authority[1..end] : authority;
        }

        var colon = authority.LastIndexOf(':');
        return colon > 0 ? authority[..colon] : authority;
    }

    /// <summary>The API base URL of a registry as named in references (<c>docker.io</c> is <c>registry-1.docker.io</c>).</summary>
    public static Uri BaseUri(string registry, bool insecure)
    {
        var host = registry == Names.RepositoryName.DockerHub ? "registry-1.docker.io" : registry;
        var scheme = insecure || IsLoopback(host) ? "http" : "https";
        return new Uri($"{scheme}://{host}/");
    }

    /// <summary>True when a request to <paramref name="uri"/> may go in plain HTTP (or is HTTPS).</summary>
    public static bool MaySend(Uri uri, Func<string, bool> isInsecure) =>
        uri.Scheme == Uri.UriSchemeHttps
        || (uri.Scheme == Uri.UriSchemeHttp && (IsLoopback(uri.Authority) || isInsecure(uri.Authority)));
}
