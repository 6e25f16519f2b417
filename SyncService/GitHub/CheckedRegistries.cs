using System.Net;
using System.Net.Sockets;

namespace CvmfsImages.Sync.GitHub;

/// <summary>
/// Which registries a pull-request check may contact. PR text is unreviewed, so a line naming
/// <c>127.0.0.1:9477/x:1</c> or <c>10.0.0.5/x:1</c> must not make the service probe its own host or network:
/// with <see cref="GitHubOptions.AllowedRegistries"/> empty, every registry is contacted except <c>localhost</c>,
/// single-label names (<c>intranet:5000</c>) and IP literals that are loopback, private, link-local, unique-local or
/// unspecified; with it set, only the listed ones are. Hosts named in <c>Registry:Hosts</c> are always allowed (staff
/// configured them). The check is by name, before any connection; a public name that resolves to a private address
/// is not caught here (use <see cref="GitHubOptions.AllowedRegistries"/> where that matters).
/// </summary>
internal sealed class CheckedRegistries
{
    private readonly HashSet<string> _trusted;
    private readonly bool _onlyTrusted;

    /// <param name="allowed">The configured allow list (empty: any public registry).</param>
    /// <param name="configured">Registries staff configured elsewhere (always allowed).</param>
    public CheckedRegistries(IEnumerable<string> allowed, IEnumerable<string> configured)
    {
        ArgumentNullException.ThrowIfNull(allowed);
        ArgumentNullException.ThrowIfNull(configured);
        var list = allowed.Where(a => !string.IsNullOrWhiteSpace(a)).Select(a => a.Trim()).ToList();
        _onlyTrusted = list.Count > 0;
        _trusted = new HashSet<string>(list.Concat(configured), StringComparer.OrdinalIgnoreCase);
    }

    /// <summary>Any public registry, nothing configured.</summary>
    public static CheckedRegistries Public { get; } = new([], []);

    /// <summary>Null when <paramref name="registry"/> (<c>host[:port]</c>) may be contacted; else why not.</summary>
    public string? Refusal(string registry)
    {
        ArgumentException.ThrowIfNullOrEmpty(registry);
        if (_trusted.Contains(registry) || (registry == "docker.io" && (_trusted.Contains("index.docker.io") || _trusted.Contains("registry-1.docker.io"))))
        {
            return null;
        }

        if (_onlyTrusted)
        {
            return $"the pull-request check only contacts the registries staff allowed ({GitHubOptions.SectionName}:{nameof(GitHubOptions.AllowedRegistries)}); {registry} is not one of them";
        }

        var host = HostOf(registry);
        if (IPAddress.TryParse(host, out var address))
        {
            return IsInternal(address) ? $"{registry} is a loopback, private or link-local address: the pull-request check does not contact it" : null;
        }

        if (host.Equals("localhost", StringComparison.OrdinalIgnoreCase) || host.EndsWith(".localhost", StringComparison.OrdinalIgnoreCase) || !host.Contains('.', StringComparison.Ordinal))
        {
            return $"{registry} is a local or single-label host name: the pull-request check does not contact it";
        }

        return null;
    }

    /// <summary>The host of <c>host[:port]</c> or <c>[v6]:port</c>, brackets removed.</summary>
    private static string HostOf(string registry)
    {
        if (registry.StartsWith('['))
        {
            var end = registry.IndexOf(']', StringComparison.Ordinal);
            return end > 0 ? registry[1..end] : registry;
        }

        var colon = registry.LastIndexOf(':');
        return colon >= 0 ? registry[..colon] : registry;
    }

    internal static bool IsInternal(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        if (IPAddress.IsLoopback(address) || address.Equals(IPAddress.Any) || address.Equals(IPAddress.IPv6Any) || address.Equals(IPAddress.IPv6None))
        {
            return true;
        }

        if (address.AddressFamily == AddressFamily.InterNetworkV6)
        {
            return address.IsIPv6LinkLocal || address.IsIPv6SiteLocal || address.IsIPv6UniqueLocal || address.IsIPv6Multicast;
        }

        var b = address.GetAddressBytes();
        return b[0] is 0 or 10 or 127 || b[0] >= 224 ||
               (b[0] == 169 && b[1] == 254) ||
               (b[0] == 172 && b[1] >= 16 && b[1] <= 31) ||
               (b[0] == 192 && b[1] == 168) ||
               (b[0] == 100 && b[1] >= 64 && b[1] <= 127); // carrier-grade NAT, often internal
    }
}
