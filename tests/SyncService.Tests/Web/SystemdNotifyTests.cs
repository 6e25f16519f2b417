using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using CvmfsImages.Tests.SyncService.EndToEnd;
using CvmfsImages.Tests.SyncService.GitHub;
using Xunit;

namespace CvmfsImages.Tests.SyncService.Web;

/// <summary>
/// <c>Type=notify</c>: <c>serve</c> as a child process with systemd's <c>NOTIFY_SOCKET</c> (a datagram socket the test
/// owns). The list is a FIFO, so its first read waits until the test writes it: READY=1 must not come before.
/// </summary>
public sealed class SystemdNotifyTests
{
    [Fact]
    public async Task Ready_comes_only_once_the_host_listens_and_the_first_list_read_finished_and_stopping_on_sigterm()
    {
        var ct = TestContext.Current.CancellationToken;
        using var h = new SyncHarness();
        using (var mkfifo = Process.Start("mkfifo", [h.ListPath]))
        {
            await mkfifo.WaitForExitAsync(ct);
            Assert.Equal(0, mkfifo.ExitCode);
        }

        var socketPath = h.Combine("notify.sock");
        using var notify = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        notify.Bind(new UnixDomainSocketEndPoint(socketPath));
        var port = LoopbackPort.Free();
        var baseUri = new Uri(string.Create(CultureInfo.InvariantCulture, $"http://127.0.0.1:{port}/"));
        using var serve = ServeProcess.Start(
            h.CommonArgs(
                "--set", "Http:Urls=" + baseUri.ToString().TrimEnd('/'),
                "--set", "Sync:Schedules:ListPoll=01:00:00",
                "--set", "Sync:Schedules:FullResync=01:00:00",
                "--set", "Sync:Schedules:GarbageCollection=01:00:00"),
            new Dictionary<string, string> { ["NOTIFY_SOCKET"] = socketPath });
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };

        // Listening, but the list read is waiting on the FIFO: live, not ready, and nothing said to systemd.
        await serve.WaitUntilAsync(() => Answers(http, new Uri(baseUri, "/healthz")), "the HTTP host");
        var buffer = new byte[4096];
        var first = notify.ReceiveAsync(buffer, SocketFlags.None, ct).AsTask();
        await Task.WhenAny(first, Task.Delay(1500, ct));
        Assert.False(first.IsCompleted, "READY was sent before the first list read finished: " + (first.IsCompleted ? Encoding.UTF8.GetString(buffer, 0, await first) : string.Empty));
        using (var ready = await http.GetAsync(new Uri(baseUri, "/readyz"), ct))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
            Assert.Contains("has not been read yet", await ready.Content.ReadAsStringAsync(ct), StringComparison.Ordinal);
        }

        // The list arrives: READY=1 follows.
        await File.WriteAllTextAsync(h.ListPath, "# nothing listed\n", ct);
        var readyBytes = await first.WaitAsync(TimeSpan.FromSeconds(60), ct);
        var message = Encoding.UTF8.GetString(buffer, 0, readyBytes);
        Assert.StartsWith("READY=1", message, StringComparison.Ordinal);
        Assert.Contains("STATUS=listening on http://127.0.0.1:", message, StringComparison.Ordinal);

        await serve.SignalTerminateAsync();
        var stopping = await notify.ReceiveAsync(buffer, SocketFlags.None, ct).AsTask().WaitAsync(TimeSpan.FromSeconds(60), ct);
        Assert.Equal("STOPPING=1", Encoding.UTF8.GetString(buffer, 0, stopping));
        await serve.WaitForExitAsync();
        Assert.True(serve.ExitCode == 0, $"exit {serve.ExitCode}\n{serve.Log}");
    }

    private static bool Answers(HttpClient http, Uri uri)
    {
        try
        {
            using var response = http.GetAsync(uri, TestContext.Current.CancellationToken).GetAwaiter().GetResult();
            return response.IsSuccessStatusCode;
        }
        catch (HttpRequestException)
        {
            return false;
        }
    }
}
