using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace CvmfsImages.TestSupport.Http;

/// <summary>
/// A small HTTP/1.1 server on a loopback address for what a real registry will not do on demand: answer 429 or 503,
/// send a wrong or truncated body, drop the connection mid-body, redirect elsewhere. The handler sees each request
/// (and every request is recorded in <see cref="Requests"/>) and returns the response to send. Keep-alive is supported;
/// request bodies must carry Content-Length.
/// </summary>
public sealed class FakeHttpServer : IAsyncDisposable
{
    private readonly TcpListener _listener;
    private readonly Func<FakeRequest, FakeResponse> _handler;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private readonly ConcurrentBag<TcpClient> _clients = [];

    private FakeHttpServer(TcpListener listener, Func<FakeRequest, FakeResponse> handler)
    {
        _listener = listener;
        _handler = handler;
        _loop = AcceptLoopAsync();
    }

    /// <summary>Every request received, in order.</summary>
    public ConcurrentQueue<FakeRequest> Requests { get; } = new();

    /// <summary><c>ADDRESS:PORT</c>.</summary>
    public string Authority { get; private set; } = string.Empty;

    /// <summary><c>http://ADDRESS:PORT/</c>.</summary>
    public Uri BaseUri => new($"http://{Authority}/");

    /// <summary>Starts a server on <paramref name="address"/> (default 127.0.0.1; any 127.x works on Linux) and a free port.</summary>
    public static FakeHttpServer Start(Func<FakeRequest, FakeResponse> handler, string address = "127.0.0.1")
    {
        ArgumentNullException.ThrowIfNull(handler);
        var listener = new TcpListener(IPAddress.Parse(address), 0);
        listener.Start();
        var server = new FakeHttpServer(listener, handler);
        server.Authority = string.Create(CultureInfo.InvariantCulture, $"{address}:{((IPEndPoint)listener.LocalEndpoint).Port}");
        return server;
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        foreach (var client in _clients)
        {
            client.Dispose();
        }

        try
        {
            await _loop;
        }
        catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }

        _stop.Dispose();
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

            _clients.Add(client);
            _ = Task.Run(() => ServeAsync(client));
        }
    }

    private async Task ServeAsync(TcpClient client)
    {
        try
        {
            using (client)
            {
                var stream = client.GetStream();
                while (!_stop.IsCancellationRequested)
                {
                    var request = await ReadRequestAsync(stream, _stop.Token);
                    if (request is null)
                    {
                        return;
                    }

                    Requests.Enqueue(request);
                    FakeResponse response;
                    try
                    {
                        response = _handler(request);
                    }
#pragma warning disable CA1031 // a handler's bug becomes a 500 the test sees, not a hung connection
                    catch (Exception ex)
#pragma warning restore CA1031
                    {
                        response = FakeResponse.Text(500, "fake server handler failed: " + ex);
                    }

                    if (!await WriteResponseAsync(stream, request, response, _stop.Token))
                    {
                        client.Client.LingerState = new LingerOption(true, 0);
                        return; // dropped on purpose
                    }
                }
            }
        }
        catch (Exception ex) when (ex is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
            // The client went away.
        }
    }

    private static async Task<FakeRequest?> ReadRequestAsync(NetworkStream stream, CancellationToken cancellationToken)
    {
        var head = new List<byte>();
        var one = new byte[1];
        while (head.Count < 4 || head[^4] != '\r' || head[^3] != '\n' || head[^2] != '\r' || head[^1] != '\n')
        {
            if (await stream.ReadAsync(one, cancellationToken) == 0)
            {
                return null;
            }

            head.Add(one[0]);
            if (head.Count > 64 * 1024)
            {
                return null;
            }
        }

        var lines = Encoding.ASCII.GetString([.. head]).Split("\r\n");
        var requestLine = lines[0].Split(' ');
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var line in lines.Skip(1).Where(l => l.Length > 0))
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            var name = line[..colon].Trim();
            var value = line[(colon + 1)..].Trim();
            headers[name] = headers.TryGetValue(name, out var existing) ? existing + ", " + value : value;
        }

        var length = headers.TryGetValue("Content-Length", out var l) ? int.Parse(l, CultureInfo.InvariantCulture) : 0;
        var body = new byte[length];
        await stream.ReadExactlyAsync(body, cancellationToken);
        return new FakeRequest(requestLine[0], requestLine[1], headers, body);
    }

    // False when the connection was dropped on purpose.
    private static async Task<bool> WriteResponseAsync(NetworkStream stream, FakeRequest request, FakeResponse response, CancellationToken cancellationToken)
    {
        if (response.Hang)
        {
            await Task.Delay(Timeout.Infinite, cancellationToken);
        }

        var head = new StringBuilder();
        head.Append(CultureInfo.InvariantCulture, $"HTTP/1.1 {response.Status} {Reason(response.Status)}\r\n");
        foreach (var (name, value) in response.Headers)
        {
            head.Append(CultureInfo.InvariantCulture, $"{name}: {value}\r\n");
        }

        if (!response.Headers.ContainsKey("Content-Length"))
        {
            head.Append(CultureInfo.InvariantCulture, $"Content-Length: {response.Body.Length}\r\n");
        }

        head.Append("\r\n");
        await stream.WriteAsync(Encoding.ASCII.GetBytes(head.ToString()), cancellationToken);
        if (request.Method == "HEAD")
        {
            return true;
        }

        var count = Math.Min(response.DropAfterBytes ?? response.StallAfterBytes ?? response.Body.Length, response.Body.Length);
        await stream.WriteAsync(response.Body.AsMemory(0, count), cancellationToken);
        await stream.FlushAsync(cancellationToken);
        if (response.StallAfterBytes is not null)
        {
            await Task.Delay(Timeout.Infinite, cancellationToken);
        }

        return response.DropAfterBytes is null;
    }

    private static string Reason(int status) => status switch
    {
        200 => "OK",
        201 => "Created",
        202 => "Accepted",
        206 => "Partial Content",
        307 => "Temporary Redirect",
        401 => "Unauthorized",
        404 => "Not Found",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        _ => "Status",
    };
}
