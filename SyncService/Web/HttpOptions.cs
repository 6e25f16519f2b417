using System.Globalization;
using System.Net;
using CvmfsImages.Sync.Configuration;
using Microsoft.Extensions.Configuration;

namespace CvmfsImages.Sync.Web;

/// <summary>
/// The HTTP host of <c>serve</c> (section <c>Http</c>): where it listens and the request limits Kestrel enforces.
/// Loopback only unless <see cref="AllowNonLoopback"/> says otherwise; anything reachable from outside belongs behind a
/// TLS-terminating proxy. Every default is here; <see cref="Validate"/> refuses nonsense naming the key.
/// </summary>
public sealed class HttpOptions
{
    public const string SectionName = "Http";

    /// <summary>Where to listen: <c>http://ADDRESS:PORT</c>, several separated by <c>;</c>; port 0 picks a free one (logged).</summary>
    public string Urls { get; set; } = "http://127.0.0.1:9477";

    /// <summary>Allows a non-loopback address in <see cref="Urls"/> (then put a TLS proxy in front).</summary>
    public bool AllowNonLoopback { get; set; }

    /// <summary>Longest request line (method, target, version), in bytes; longer is 414.</summary>
    public int MaxRequestLineBytes { get; set; } = 8 * 1024;

    /// <summary>Most bytes of all request headers together; more is 431.</summary>
    public int MaxRequestHeadersTotalBytes { get; set; } = 16 * 1024;

    /// <summary>Largest request body outside the webhook (which has <c>GitHub:MaxWebhookBytes</c>); larger is 413.</summary>
    public int MaxRequestBodyBytes { get; set; } = 64 * 1024;

    /// <summary>How long a client may take to send its request headers.</summary>
    public TimeSpan RequestHeadersTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How long an idle keep-alive connection stays open.</summary>
    public TimeSpan KeepAliveTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Slowest request body accepted (bytes per second, after <see cref="MinDataRateGracePeriod"/>); slower is cut off.</summary>
    public double MinRequestBodyBytesPerSecond { get; set; } = 240;

    /// <summary>How long a body may be slower than <see cref="MinRequestBodyBytesPerSecond"/> before it is cut off (at least 1 s).</summary>
    public TimeSpan MinDataRateGracePeriod { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Most connections open at once; more are refused.</summary>
    public int MaxConcurrentConnections { get; set; } = 200;

    /// <summary>The listen addresses, parsed.</summary>
    public IReadOnlyList<Uri> ParsedUrls =>
        [.. Urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(u => new Uri(u, UriKind.Absolute))];

    /// <summary>Binds the section (unknown keys are errors) and validates it.</summary>
    public static HttpOptions Bind(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var options = new HttpOptions();
        try
        {
            configuration.GetSection(SectionName).Bind(options, o => o.ErrorOnUnknownConfiguration = true);
        }
        catch (InvalidOperationException ex)
        {
            throw new OptionsException(SectionName, $"is invalid: {ex.Message}", ex);
        }

        options.Validate();
        return options;
    }

    /// <summary>Throws <see cref="OptionsException"/> naming the first bad key.</summary>
    public void Validate()
    {
        var urls = Urls?.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) ?? [];
        if (urls.Length == 0)
        {
            Fail(nameof(Urls), "must name at least one address, e.g. http://127.0.0.1:9477");
        }

        foreach (var text in urls)
        {
            if (!Uri.TryCreate(text, UriKind.Absolute, out var url) || url.Scheme != Uri.UriSchemeHttp || url.AbsolutePath != "/" ||
                !string.IsNullOrEmpty(url.Query) || !string.IsNullOrEmpty(url.UserInfo) || !HasExplicitPort(text))
            {
                Fail(nameof(Urls), $"'{text}' is not an address to listen on: write http://ADDRESS:PORT (no path; TLS belongs to a proxy in front)");
            }

            if (!url.IsLoopback && !AllowNonLoopback)
            {
                Fail(nameof(Urls), $"'{text}' is not a loopback address; the service listens on loopback unless Http:AllowNonLoopback is true (then put a TLS-terminating proxy in front)");
            }

            if (!url.IsLoopback && url.HostNameType == UriHostNameType.Dns)
            {
                Fail(nameof(Urls), $"'{text}': give an IP address (or localhost), not a host name");
            }
        }

        Between(nameof(MaxRequestLineBytes), MaxRequestLineBytes, 256, 1024 * 1024);
        Between(nameof(MaxRequestHeadersTotalBytes), MaxRequestHeadersTotalBytes, 1024, 1024 * 1024);
        Between(nameof(MaxRequestBodyBytes), MaxRequestBodyBytes, 0, 64 * 1024 * 1024);
        Between(nameof(MaxConcurrentConnections), MaxConcurrentConnections, 1, 100_000);
        Positive(nameof(RequestHeadersTimeout), RequestHeadersTimeout);
        Positive(nameof(KeepAliveTimeout), KeepAliveTimeout);
        if (MinRequestBodyBytesPerSecond <= 0 || double.IsNaN(MinRequestBodyBytesPerSecond))
        {
            Fail(nameof(MinRequestBodyBytesPerSecond), "must be greater than 0");
        }

        if (MinDataRateGracePeriod < TimeSpan.FromSeconds(1))
        {
            Fail(nameof(MinDataRateGracePeriod), "must be at least 1 second (Kestrel checks once a second)");
        }
    }

    private static bool HasExplicitPort(string text)
    {
        var authority = text["http://".Length..].TrimEnd('/');
        var colon = authority.LastIndexOf(':');
        return colon > 0 && colon > authority.LastIndexOf(']') && int.TryParse(authority[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var port) && port <= IPEndPoint.MaxPort;
    }

    private static void Between(string key, int value, int min, int max)
    {
        if (value < min || value > max)
        {
            Fail(key, string.Create(CultureInfo.InvariantCulture, $"must be between {min} and {max}, not {value}"));
        }
    }

    private static void Positive(string key, TimeSpan value)
    {
        if (value <= TimeSpan.Zero)
        {
            Fail(key, "must be a positive time span");
        }
    }

    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    private static void Fail(string key, string message) => throw new OptionsException($"{SectionName}:{key}", message);
}
