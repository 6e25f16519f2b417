using System.Net;
using System.Net.Sockets;
using System.Text;
using CvmfsImages.Sync.Configuration;
using CvmfsImages.Sync.Observability;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace CvmfsImages.Sync.Hosting;

/// <summary>
/// A minimal HTTP/1.1 endpoint on 127.0.0.1 only (<c>Sync:Metrics:Port</c>): <c>GET /healthz</c> and
/// <c>GET /metrics</c> (Prometheus text format). One request per connection; requests are read with a size limit and
/// a timeout, so a slow or hostile local client cannot hold it.
/// </summary>
internal sealed class MetricsServer(MetricsOptions options, SyncMetrics metrics, ILogger<MetricsServer> logger) : BackgroundService
{
    private const int MaxRequestBytes = 8192;
    private readonly TaskCompletionSource<int> _port = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>The bound port (useful with port 0).</summary>
    public Task<int> Port => _port.Task;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.Enabled)
        {
            _port.TrySetResult(0);
            return;
        }

        using var listener = new TcpListener(IPAddress.Loopback, options.Port);
        try
        {
            listener.Start();
        }
        catch (SocketException ex)
        {
            _port.TrySetException(ex);
            throw new InvalidOperationException($"Sync:Metrics:Port {options.Port} on 127.0.0.1 cannot be bound: {ex.Message}", ex);
        }

        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        _port.TrySetResult(port);
        JobLog.Listening(logger, port);
        while (!stoppingToken.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await listener.AcceptTcpClientAsync(stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                break;
            }

            _ = Task.Run(() => ServeAsync(client, stoppingToken), CancellationToken.None);
        }
    }

    private async Task ServeAsync(TcpClient client, CancellationToken stoppingToken)
    {
        using (client)
        {
            try
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
                timeout.CancelAfter(TimeSpan.FromSeconds(10));
                var stream = client.GetStream();
                var requestLine = await ReadRequestLineAsync(stream, timeout.Token).ConfigureAwait(false);
                var parts = requestLine?.Split(' ');
                var (status, type, body) = parts is { Length: 3 } && parts[0] is "GET" or "HEAD"
                    ? Route(parts[1])
                    : ("400 Bad Request", "text/plain", "bad request\n");
                var bytes = Encoding.UTF8.GetBytes(body);
                var head = $"HTTP/1.1 {status}\r\nContent-Type: {type}\r\nContent-Length: {bytes.Length}\r\nConnection: close\r\n\r\n";
                await stream.WriteAsync(Encoding.ASCII.GetBytes(head), timeout.Token).ConfigureAwait(false);
                if (parts is not { Length: 3 } || parts[0] != "HEAD")
                {
                    await stream.WriteAsync(bytes, timeout.Token).ConfigureAwait(false);
                }
            }
            catch (Exception ex) when (ex is IOException or SocketException or OperationCanceledException)
            {
                JobLog.RequestFailed(logger, ex);
            }
        }
    }

    private (string Status, string Type, string Body) Route(string target) => target switch
    {
        "/metrics" => ("200 OK", "text/plain; version=0.0.4; charset=utf-8", metrics.Render()),
        "/healthz" => ("200 OK", "text/plain; charset=utf-8", "ok\n"),
        _ => ("404 Not Found", "text/plain", "not found: try /metrics or /healthz\n"),
    };

    // Reads up to the end of the headers (or the size limit) and returns the first line.
    private static async Task<string?> ReadRequestLineAsync(NetworkStream stream, CancellationToken ct)
    {
        var buffer = new byte[MaxRequestBytes];
        var length = 0;
        while (length < buffer.Length)
        {
            var read = await stream.ReadAsync(buffer.AsMemory(length), ct).ConfigureAwait(false);
            if (read == 0)
            {
                break;
            }

            length += read;
            if (buffer.AsSpan(0, length).IndexOf("\r\n\r\n"u8) >= 0)
            {
                break;
            }
        }

        var text = Encoding.ASCII.GetString(buffer, 0, length);
        var end = text.IndexOf("\r\n", StringComparison.Ordinal);
        return end < 0 ? null : text[..end];
    }
}
