using System.Globalization;
using CvmfsImages.Registry.Names;

namespace CvmfsImages.Registry;

/// <summary>
/// Settings of a <see cref="RegistryClient"/>, bound from the configuration section <see cref="SectionName"/>. Every
/// default is here; <see cref="Validate"/> refuses nonsensical values instead of clamping them.
/// </summary>
public sealed class RegistryClientOptions
{
    /// <summary>The configuration section these options are bound from.</summary>
    public const string SectionName = "Registry";

    /// <summary>Per-registry settings; key: the registry as in image references (<c>docker.io</c>, <c>127.0.0.1:5000</c>).</summary>
    public Dictionary<string, RegistryHostOptions> Hosts { get; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>
    /// A credentials file for hosts without their own: a Docker <c>config.json</c> (<c>auths</c>) or OSG's
    /// <c>--docker-creds</c> file; null: none. Read by <see cref="CheckCredentialsFile"/> and on first need.
    /// </summary>
    public string? DockerConfigPath { get; set; }

    /// <summary>
    /// Requests in flight to one registry at once (until response headers), so also the bound on parallel HEADs of a
    /// resync per registry; over HTTP/2 they share one connection, over HTTP/1.1 each kept-alive connection is reused.
    /// 1-256.
    /// </summary>
    public int MaxConcurrentRequestsPerRegistry { get; set; } = 8;

    /// <summary>Ask for HTTP/2, used where the registry offers it (TLS with ALPN); false: HTTP/1.1 only.</summary>
    public bool EnableHttp2 { get; set; } = true;

    /// <summary>Retries of a transient failure (429, 500, 502, 503, 504, reset, timeout); 0 disables. 0-20.</summary>
    public int MaxRetries { get; set; } = 5;

    /// <summary>Time allowed for one attempt until the response headers arrive. 1 s - 1 h.</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(100);

    /// <summary>First backoff delay; it doubles per attempt (with jitter) up to <see cref="MaxRetryDelay"/>.</summary>
    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>
    /// The longest wait before a retry, backoff or <c>Retry-After</c> alike. A server asking for longer is not retried:
    /// the <see cref="RegistryException"/> carries its <see cref="RegistryException.RetryAfter"/>.
    /// </summary>
    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>A directory for the content-addressed blob cache; null: no cache.</summary>
    public string? BlobCacheDirectory { get; set; }

    /// <summary>The cache's size bound in bytes; least recently used blobs are evicted beyond it.</summary>
    public long BlobCacheMaxBytes { get; set; } = 20L * 1024 * 1024 * 1024;

    /// <summary>Tags asked for per page of a tag listing (the <c>n</c> parameter); 0: the registry's default page.</summary>
    public int TagPageSize { get; set; }

    /// <summary>Checks every value; throws an <see cref="ArgumentException"/> naming the bad key and value.</summary>
    public void Validate()
    {
        Range(nameof(MaxConcurrentRequestsPerRegistry), MaxConcurrentRequestsPerRegistry, 1, 256);
        Range(nameof(MaxRetries), MaxRetries, 0, 20);
        Range(nameof(RequestTimeout), RequestTimeout, TimeSpan.FromSeconds(1), TimeSpan.FromHours(1));
        Range(nameof(RetryBaseDelay), RetryBaseDelay, TimeSpan.Zero, TimeSpan.FromMinutes(5));
        Range(nameof(MaxRetryDelay), MaxRetryDelay, RetryBaseDelay, TimeSpan.FromHours(1));
        Range(nameof(TagPageSize), TagPageSize, 0, 100_000);
        if (BlobCacheDirectory is not null)
        {
            if (BlobCacheDirectory.Length == 0 || !Path.IsPathFullyQualified(BlobCacheDirectory))
            {
                throw Bad(nameof(BlobCacheDirectory), BlobCacheDirectory, "must be an absolute path");
            }

            Range(nameof(BlobCacheMaxBytes), BlobCacheMaxBytes, 1024 * 1024, long.MaxValue);
        }

        if (DockerConfigPath is { Length: 0 })
        {
            throw Bad(nameof(DockerConfigPath), DockerConfigPath, "must be a file path or unset");
        }

        foreach (var (host, options) in Hosts)
        {
            var key = $"{nameof(Hosts)}:{host}";
            if (!RepositoryName.TryParse(host + "/x", out var parsed, out _)
                || (!string.Equals(parsed.Registry, host, StringComparison.OrdinalIgnoreCase) && !IsDockerHubAlias(host)))
            {
                throw Bad(nameof(Hosts), host, "is not a registry host (host[:port], e.g. 'docker.io' or '127.0.0.1:5000')");
            }

            if (options is null)
            {
                throw Bad(key, "(null)", "has no settings");
            }

            if (options.Password is not null && options.Username is null)
            {
                throw new ArgumentException($"{SectionName}:{key}:Password is set without {SectionName}:{key}:Username", key);
            }

            if (options.Mirror is not null
                && (!Uri.TryCreate(options.Mirror, UriKind.Absolute, out var mirror) || mirror.Scheme is not ("http" or "https")
                    || !string.IsNullOrEmpty(mirror.UserInfo) || mirror.AbsolutePath is not ("/" or "")))
            {
                throw Bad($"{key}:Mirror", options.Mirror, "must be an http(s) base URL without path or credentials, e.g. 'https://mirror.example.org'");
            }
        }
    }

    /// <summary>
    /// Reads <see cref="DockerConfigPath"/> (when set) as the client will, and returns the registries it holds
    /// credentials for (normalised: <c>docker.io</c> for every Docker Hub alias), never a secret. Unlike
    /// <see cref="Validate"/> this reads a file: call it once at start, so that a bad file is a start-up error and not
    /// a failure of every image.
    /// </summary>
    /// <exception cref="CredentialsFileException">The file cannot be read, or is neither a Docker <c>config.json</c> nor an OSG <c>--docker-creds</c> file.</exception>
    public IReadOnlyList<string> CheckCredentialsFile() =>
        DockerConfigPath is null ? [] : [.. Transport.CredentialsFile.Read(DockerConfigPath).Keys.Order(StringComparer.Ordinal)];

    internal RegistryHostOptions? FindHost(string registry)
    {
        if (Hosts.TryGetValue(registry, out var options))
        {
            return options;
        }

        if (registry == RepositoryName.DockerHub)
        {
            foreach (var alias in (string[])["index.docker.io", "registry-1.docker.io"])
            {
                if (Hosts.TryGetValue(alias, out options))
                {
                    return options;
                }
            }
        }

        return null;
    }

    private static bool IsDockerHubAlias(string host) => host is "index.docker.io" or "registry-1.docker.io";

    private static void Range<T>(string name, T value, T min, T max)
        where T : IComparable<T>
    {
        if (value.CompareTo(min) < 0 || value.CompareTo(max) > 0)
        {
            throw Bad(name, Convert.ToString(value, CultureInfo.InvariantCulture) ?? string.Empty, $"must be between {Convert.ToString(min, CultureInfo.InvariantCulture)} and {Convert.ToString(max, CultureInfo.InvariantCulture)}");
        }
    }

    private static ArgumentException Bad(string key, string value, string rule) =>
        new($"{SectionName}:{key} {rule} (it is '{value}')", $"{SectionName}:{key}");
}
