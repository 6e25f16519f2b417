using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;

namespace CvmfsImages.Registry.Transport;

/// <summary>
/// Retries transient failures only: 429, 500, 502, 503, 504, a connection refused/reset/ended early, a temporary DNS
/// failure, and a timeout of one attempt (<see cref="RegistryClientOptions.RequestTimeout"/>, until the response headers).
/// A host name that does not resolve ("Name or service not known") is not retried within the request: it fails at
/// once, still as a transient <see cref="RegistryException"/> (an outage to callers, not the registry's answer). At most
/// <see cref="RegistryClientOptions.MaxRetries"/> retries; the wait is <c>Retry-After</c> when the server sends one,
/// else exponential backoff with jitter, both bounded by <see cref="RegistryClientOptions.MaxRetryDelay"/>. A server
/// asking for a longer wait gets its response back unretried (the caller's exception carries the wait). Requests whose
/// content cannot be replayed are never retried.
/// </summary>
internal sealed class RetryHandler : DelegatingHandler
{
    private readonly RegistryClientOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;

    public RetryHandler(RegistryClientOptions options, TimeProvider time, ILogger logger)
    {
        _options = options;
        _time = time;
        _logger = logger;
    }

    /// <summary>The statuses worth retrying.</summary>
    public static bool IsTransient(HttpStatusCode status) =>
        status is HttpStatusCode.TooManyRequests or HttpStatusCode.InternalServerError or HttpStatusCode.BadGateway
            or HttpStatusCode.ServiceUnavailable or HttpStatusCode.GatewayTimeout;

    /// <summary>True for network failures worth retrying (not TLS or protocol errors, not the caller's cancellation).</summary>
    public static bool IsTransient(Exception ex) => ex switch
    {
        HttpRequestException h => h.HttpRequestError is HttpRequestError.ConnectionError or HttpRequestError.ResponseEnded
            or HttpRequestError.NameResolutionError or HttpRequestError.Unknown,
        IOException => true,
        RegistryException r => r.IsTransient,
        _ => false,
    };

    /// <summary>
    /// True when DNS answered that the host name does not exist (<see cref="SocketError.HostNotFound"/>, or no address
    /// for it): asking again within a request does not change that. A temporary failure (<see cref="SocketError.TryAgain"/>) is not this.
    /// </summary>
    public static bool IsUnresolvedHost(Exception ex) =>
        ex is HttpRequestException { HttpRequestError: HttpRequestError.NameResolutionError, InnerException: SocketException { SocketErrorCode: SocketError.HostNotFound or SocketError.NoData } };

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var replayable = RequestProperties.IsReplayable(request);
        var uri = request.RequestUri!;
        for (var attempt = 0; ; attempt++)
        {
            var last = attempt >= _options.MaxRetries || !replayable;
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(_options.RequestTimeout);
            TimeSpan delay;
            try
            {
                var response = await base.SendAsync(request, timeout.Token);
                if (last || !IsTransient(response.StatusCode))
                {
                    return response;
                }

                var asked = RetryAfter.Parse(response, _time.GetUtcNow());
                if (asked > _options.MaxRetryDelay)
                {
                    return response; // not worth blocking for; the caller reports the wait
                }

                delay = asked ?? Backoff(attempt);
                RegistryClient.Log.RetryingStatus(_logger, request.Method.Method, uri.Authority, uri.AbsolutePath, (int)response.StatusCode, attempt + 1, delay.TotalMilliseconds);
                response.Dispose();
            }
            catch (OperationCanceledException ex) when (!cancellationToken.IsCancellationRequested)
            {
                if (last)
                {
                    throw new RegistryException(
                        $"{request.Method} {uri.Authority}{uri.AbsolutePath}: no response within {_options.RequestTimeout.TotalSeconds:0.#} s (after {attempt + 1} attempts)",
                        reference: null, isTransient: true, innerException: ex) { Registry = uri.Authority };
                }

                delay = Backoff(attempt);
                RegistryClient.Log.Retrying(_logger, request.Method.Method, uri.Authority, uri.AbsolutePath, "timeout", attempt + 1, delay.TotalMilliseconds);
            }
            catch (Exception ex) when (!cancellationToken.IsCancellationRequested && ex is HttpRequestException or IOException && IsTransient(ex))
            {
                if (IsUnresolvedHost(ex))
                {
                    throw new RegistryException(
                        $"{request.Method} {uri.Authority}{uri.AbsolutePath}: {ex.Message} (the host name does not resolve; not retried)",
                        reference: null, isTransient: true, innerException: ex) { Registry = uri.Authority };
                }

                if (last)
                {
                    throw new RegistryException(
                        $"{request.Method} {uri.Authority}{uri.AbsolutePath}: {ex.Message} (after {attempt + 1} attempts)",
                        reference: null, isTransient: true, innerException: ex) { Registry = uri.Authority };
                }

                delay = Backoff(attempt);
                RegistryClient.Log.Retrying(_logger, request.Method.Method, uri.Authority, uri.AbsolutePath, ex.Message, attempt + 1, delay.TotalMilliseconds);
            }

            await Task.Delay(delay, _time, cancellationToken);
        }
    }

    /// <summary>base * 2^attempt, capped, with jitter: uniformly between half and all of it.</summary>
    internal TimeSpan Backoff(int attempt)
    {
        var full = _options.RetryBaseDelay.TotalMilliseconds * Math.Pow(2, Math.Min(attempt, 30));
        full = Math.Min(full, _options.MaxRetryDelay.TotalMilliseconds);
        return TimeSpan.FromMilliseconds(full * (0.5 + (Random.Shared.NextDouble() * 0.5)));
    }
}
