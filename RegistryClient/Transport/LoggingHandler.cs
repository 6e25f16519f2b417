using System.Diagnostics;
using System.Net;
using Microsoft.Extensions.Logging;

namespace CvmfsImages.Registry.Transport;

/// <summary>
/// Logs every exchange on the wire (method, host, path without query, status, time) and reports it for metrics.
/// Never logs headers or queries: they carry credentials, tokens and pre-signed URLs.
/// </summary>
internal sealed class LoggingHandler : DelegatingHandler
{
    private readonly ILogger _logger;
    private readonly Action<RegistryRequestEventArgs> _completed;

    public LoggingHandler(ILogger logger, Action<RegistryRequestEventArgs> completed)
    {
        _logger = logger;
        _completed = completed;
    }

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var uri = request.RequestUri!;
        var started = Stopwatch.GetTimestamp();
        HttpStatusCode? status = null;
        Version? version = null;
        try
        {
            var response = await base.SendAsync(request, cancellationToken);
            status = response.StatusCode;
            version = response.Version;
            return response;
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException or OperationCanceledException)
        {
            RegistryClient.Log.RequestFailed(_logger, request.Method.Method, uri.Authority, uri.AbsolutePath, ex);
            throw;
        }
        finally
        {
            var elapsed = Stopwatch.GetElapsedTime(started);
            // Guarded: the path is a new string per request, wasted when Debug is off.
            if (status is { } s && _logger.IsEnabled(LogLevel.Debug))
            {
                RegistryClient.Log.Request(_logger, request.Method.Method, uri.Authority, uri.AbsolutePath, (int)s, elapsed.TotalMilliseconds);
            }

            _completed(new RegistryRequestEventArgs(uri.Authority, request.Method.Method, status, elapsed, version));
        }
    }
}
