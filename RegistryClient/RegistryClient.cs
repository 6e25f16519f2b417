using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using CvmfsImages.Registry.Blobs;
using CvmfsImages.Registry.Json;
using CvmfsImages.Registry.Names;
using CvmfsImages.Registry.Transport;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace CvmfsImages.Registry;

/// <summary>
/// A client for OCI Distribution / Docker Registry v2 registries: manifests, blobs and tags (it reads; the tests'
/// pusher in tests/TestSupport writes through <see cref="SendAsync"/>). One instance serves every registry; it is
/// thread-safe and meant to live as long as the process.
/// <para>
/// Requests pass a chain of handlers (outermost first): retry of transient failures, authentication, a per-registry
/// concurrency limit, logging, then the HTTP transport (redirects are followed by the client itself, so that the
/// registry's credentials never go to another host). Pulls go to a host's mirror first when one is configured, and to
/// the origin when the mirror fails. Plain HTTP is used only for loopback registries and hosts marked insecure.
/// </para>
/// </summary>
public sealed partial class RegistryClient : IDisposable
{
    /// <summary>The largest manifest or index accepted (Distribution's own limit is 4 MiB).</summary>
    public const int MaxManifestBytes = 4 * 1024 * 1024;

    /// <summary>The largest image config accepted.</summary>
    public const int MaxConfigBytes = 16 * 1024 * 1024;

    private const int MaxErrorBodyBytes = 64 * 1024;
    private const int MaxRedirects = 5;

    private readonly RegistryClientOptions _options;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly HttpClient _http;
    private readonly BlobCache? _cache;
    private readonly ConcurrentDictionary<string, RegistryEndpoint[]> _endpoints = new(StringComparer.Ordinal);

    /// <summary>Creates a client. The options are validated here (an <see cref="ArgumentException"/> names a bad key).</summary>
    /// <param name="options">Settings; not changed by the client.</param>
    /// <param name="loggerFactory">Where to log; null: nowhere.</param>
    /// <param name="innerHandler">The HTTP transport at the bottom of the chain (tests); not disposed with the client.
    /// It must not follow redirects itself. Null: a <see cref="SocketsHttpHandler"/>.</param>
    /// <param name="time">Clock for backoff waits and token expiry; null: the system clock.</param>
    public RegistryClient(
        RegistryClientOptions options,
        ILoggerFactory? loggerFactory = null,
        HttpMessageHandler? innerHandler = null,
        TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
        _time = time ?? TimeProvider.System;
        _logger = loggerFactory?.CreateLogger<RegistryClient>() ?? (ILogger)NullLogger.Instance;

        HttpMessageHandler bottom = innerHandler is null
            ? new SocketsHttpHandler
            {
                AllowAutoRedirect = false,
                AutomaticDecompression = DecompressionMethods.None,
                PooledConnectionLifetime = TimeSpan.FromMinutes(5),
                ConnectTimeout = TimeSpan.FromSeconds(30),
                UseCookies = false,
                // HTTP/2 multiplexes a registry's parallel requests on one connection; more when it limits streams.
                EnableMultipleHttp2Connections = true,
            }
            : new NonDisposingHandler(innerHandler);
        var logging = new LoggingHandler(_logger, OnRequestCompleted) { InnerHandler = bottom };
        var limit = new ConcurrencyLimitHandler(options.MaxConcurrentRequestsPerRegistry) { InnerHandler = logging };
        var auth = new AuthenticationHandler(new CredentialStore(options), IsInsecure, _time, _logger) { InnerHandler = limit };
        var retry = new RetryHandler(options, _time, _logger) { InnerHandler = auth };
        _http = new HttpClient(retry, disposeHandler: true) { Timeout = Timeout.InfiniteTimeSpan };
        _http.DefaultRequestHeaders.UserAgent.Add(new ProductInfoHeaderValue("cvmfs-images", "1.0"));
        _cache = options.BlobCacheDirectory is null ? null : new BlobCache(options.BlobCacheDirectory, options.BlobCacheMaxBytes, _time, _logger);
    }

    /// <summary>Raised after every HTTP exchange with a registry (each attempt), for metrics.</summary>
    public event EventHandler<RegistryRequestEventArgs>? RequestCompleted;

    public void Dispose() => _http.Dispose();

    internal void OnRequestCompleted(RegistryRequestEventArgs args) => RequestCompleted?.Invoke(this, args);

    private static string PullScope(RepositoryName repository) => $"repository:{repository.Path}:pull";

    private bool IsInsecure(string authority)
    {
        var registry = CredentialStore.Normalize(authority);
        if (_options.FindHost(registry)?.Insecure == true)
        {
            return true;
        }

        // A mirror configured with an explicit http:// URL was chosen deliberately.
        foreach (var host in _options.Hosts.Values)
        {
            if (host.Mirror is { } mirror && Uri.TryCreate(mirror, UriKind.Absolute, out var uri)
                && uri.Scheme == Uri.UriSchemeHttp && string.Equals(uri.Authority, authority, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The registry's own API endpoint (never a mirror).</summary>
    internal RegistryEndpoint Origin(string registry) => PullEndpoints(registry)[^1];

    /// <summary>
    /// The mirror (when configured) and the origin, built once per registry: a resync's thousands of requests to one
    /// registry parse no base URL again.
    /// </summary>
    private RegistryEndpoint[] PullEndpoints(string registry) =>
        _endpoints.GetOrAdd(registry, static (name, options) =>
        {
            var origin = new RegistryEndpoint(name, HostRules.BaseUri(name, options.FindHost(name)?.Insecure == true), IsMirror: false);
            return options.FindHost(name)?.Mirror is { } mirror
                ? [new RegistryEndpoint(name, new Uri(mirror.TrimEnd('/') + "/"), IsMirror: true), origin]
                : [origin];
        }, _options);

    /// <summary>Runs a pull against the mirror first (when configured), then the origin.</summary>
    private async Task<T> PullAsync<T>(string registry, string what, Func<RegistryEndpoint, Task<T>> action, CancellationToken cancellationToken)
    {
        var endpoints = PullEndpoints(registry);
        for (var i = 0; ; i++)
        {
            try
            {
                return await action(endpoints[i]);
            }
            catch (Exception ex) when (i < endpoints.Length - 1 && !cancellationToken.IsCancellationRequested
                                       && ex is RegistryException or HttpRequestException or IOException)
            {
                Log.MirrorFailed(_logger, endpoints[i].BaseUri.Authority, what, ex.Message);
            }
        }
    }

    /// <summary>
    /// Sends one request to a registry endpoint through the whole chain (retry, authentication for
    /// <paramref name="scope"/>, concurrency limit, logging); the caller owns the response. Internal, and visible to
    /// tests/TestSupport, whose pusher is the only writer.
    /// </summary>
    internal Task<HttpResponseMessage> SendAsync(
        RegistryEndpoint endpoint,
        HttpMethod method,
        string relative,
        string scope,
        Action<HttpRequestMessage>? configure,
        CancellationToken cancellationToken) =>
        SendToAsync(endpoint.Resolve(relative), endpoint, method, scope, configure, cancellationToken);

    /// <inheritdoc cref="SendAsync"/>
    internal async Task<HttpResponseMessage> SendToAsync(
        Uri uri,
        RegistryEndpoint endpoint,
        HttpMethod method,
        string? scope,
        Action<HttpRequestMessage>? configure,
        CancellationToken cancellationToken)
    {
        if (!HostRules.MaySend(uri, IsInsecure))
        {
            throw new RegistryException(
                $"refusing plain HTTP to {uri.Authority} (only loopback hosts and hosts with Registry:Hosts:<host>:Insecure=true may use it)",
                reference: null) { Registry = endpoint.Registry };
        }

        using var request = new HttpRequestMessage(method, uri);
        if (_options.EnableHttp2)
        {
            // Offered over TLS (ALPN), HTTP/2 is used; otherwise (plain HTTP, or no h2 offered) HTTP/1.1 as before.
            request.Version = HttpVersion.Version20;
            request.VersionPolicy = HttpVersionPolicy.RequestVersionOrLower;
        }

        if (scope is not null)
        {
            request.Options.Set(RequestProperties.Scope, scope);
            request.Options.Set(RequestProperties.AuthAuthority, endpoint.Authority);
        }

        configure?.Invoke(request);
        return await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
    }

    /// <summary>The exception for a failed response: status, the registry's error codes (from a bounded body), a hint.</summary>
    internal async Task<RegistryException> ErrorAsync(HttpResponseMessage response, RegistryEndpoint endpoint, string what, string reference, CancellationToken cancellationToken)
    {
        var errors = new List<RegistryError>();
        var body = await BoundedContent.ReadPrefixAsync(response.Content, MaxErrorBodyBytes, cancellationToken);
        if (body.Length > 0)
        {
            try
            {
                var parsed = JsonSerializer.Deserialize(body, RegistryJsonContext.Default.JsonErrorBody);
                foreach (var e in parsed?.Errors ?? [])
                {
                    errors.Add(new RegistryError(Clean(e.Code ?? "UNKNOWN", 64), Clean(e.Message ?? string.Empty, 300)));
                }
            }
            catch (JsonException)
            {
                // Not the registry's error format (a proxy's HTML page): the status says enough.
            }
        }

        var status = response.StatusCode;
        if (errors.Count == 0 && response.RequestMessage?.Method == HttpMethod.Head)
        {
            // HEAD answers carry no body: give the code the registry sends for the same GET, so callers can test codes.
            var code = status switch
            {
                HttpStatusCode.NotFound => what == "blob" ? "BLOB_UNKNOWN" : "MANIFEST_UNKNOWN",
                HttpStatusCode.Unauthorized => "UNAUTHORIZED",
                HttpStatusCode.Forbidden => "DENIED",
                HttpStatusCode.TooManyRequests => "TOOMANYREQUESTS",
                _ => null,
            };
            if (code is not null)
            {
                errors.Add(new RegistryError(code, "(from the HEAD status)"));
            }
        }

        var retryAfter = RetryAfter.Parse(response, _time.GetUtcNow());
        var text = new StringBuilder();
        text.Append(response.RequestMessage?.Method.Method ?? "request").Append(' ').Append(what).Append(' ').Append(reference);
        if (endpoint.IsMirror)
        {
            text.Append(" (via ").Append(endpoint).Append(')');
        }

        text.Append(": ").Append((int)status).Append(' ').Append(Clean(response.ReasonPhrase ?? status.ToString(), 100));
        if (errors.Count > 0)
        {
            text.Append(": ").AppendJoin("; ", errors.Select(e => e.Message.Length > 0 ? $"{e.Code}: {e.Message}" : e.Code));
        }

        text.Append(status switch
        {
            HttpStatusCode.Unauthorized => $" (authentication required or refused: set Registry:Hosts:{endpoint.Registry}:Username/Password or Registry:DockerConfigPath)",
            HttpStatusCode.Forbidden => " (access denied)",
            HttpStatusCode.TooManyRequests => retryAfter is { } wait ? $" (rate limited; the registry asks to wait {wait.TotalSeconds:0} s)" : " (rate limited)",
            _ => string.Empty,
        });
        return new RegistryException(text.ToString(), reference, status, errors, RetryHandler.IsTransient(status) || status == HttpStatusCode.RequestTimeout)
        {
            RetryAfter = retryAfter,
            Registry = endpoint.Registry,
        };
    }

    /// <summary>Untrusted text for a message: control characters replaced, length bounded.</summary>
    private static string Clean(string text, int max)
    {
        var cleaned = string.Create(Math.Min(text.Length, max), text, (span, source) =>
        {
            for (var i = 0; i < span.Length; i++)
            {
                span[i] = char.IsControl(source[i]) ? ' ' : source[i];
            }
        });
        return text.Length > max ? cleaned + "..." : cleaned;
    }
}
