using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using CvmfsImages.Registry;
using CvmfsImages.Sync.CommandLine;
using CvmfsImages.TestSupport;
using CvmfsImages.TestSupport.Images;
using Xunit;

namespace CvmfsImages.Tests.SyncService.EndToEnd;

/// <summary><c>serve</c> with short schedules: list edits picked up, metrics served, clean stops (token and SIGTERM).</summary>
public sealed class ServeTests(RegistryFixture fixture) : IClassFixture<RegistryFixture>
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task Serve_syncs_at_start_picks_up_an_edited_list_serves_metrics_and_stops_on_request()
    {
        var registry = fixture.Registry;
        var ct = TestContext.Current.CancellationToken;
        using var client = new RegistryClient(new RegistryClientOptions());
        await TestImage.Create().WithLayer(TestFile.Text("etc/hello", "serve one\n")).PushAsync(client, $"{registry.Host}/serve/app:1", ct);
        await TestImage.Create().WithLayer(TestFile.Text("etc/hello", "serve two\n")).PushAsync(client, $"{registry.Host}/serve/app:2", ct);
        using var h = new SyncHarness();
        h.WriteList($"{registry.Host}/serve/app:1");
        var port = FreePort();

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        using var output = new StringWriter();
        using var error = new StringWriter();
        string[] args =
        [
            "serve", .. h.CommonArgs(
                "--set", "Sync:Schedules:ListPoll=00:00:01",
                "--set", "Sync:Schedules:FullResync=01:00:00",
                "--set", "Sync:Metrics:Port=" + port.ToString(CultureInfo.InvariantCulture)),
        ];
        var serve = Task.Run(() => Cli.RunAsync(args, output, error, stop.Token), ct);

        await WaitUntilAsync(() => h.ImageOf("serve/app:1") is not null, serve, "the first pass at start");
        Assert.Equal("serve one\n", h.ReadFromImage("serve/app:1", "etc/hello"));

        h.WriteList($"{registry.Host}/serve/app:1", $"{registry.Host}/serve/app:2");
        await WaitUntilAsync(() => h.ImageOf("serve/app:2") is not null, serve, "the edited list");
        Assert.Equal("serve two\n", h.ReadFromImage("serve/app:2", "etc/hello"));

        h.WriteList($"{registry.Host}/serve/app:2");
        await WaitUntilAsync(() => !File.Exists(Path.Combine(h.Root, "serve/app:1")) && h.ImageOf("serve/app:1") is null, serve, "a removed line");

        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        Assert.Equal("ok\n", await http.GetStringAsync(new Uri($"http://127.0.0.1:{port}/healthz"), ct));
        var metrics = await http.GetStringAsync(new Uri($"http://127.0.0.1:{port}/metrics"), ct);
        Assert.Contains("# TYPE cvmfs_image_sync_images_published gauge", metrics, StringComparison.Ordinal);
        Assert.Contains("cvmfs_image_sync_last_sync_timestamp_seconds ", metrics, StringComparison.Ordinal);
        Assert.Matches($"cvmfs_image_sync_registry_requests_total\\{{registry=\"{registry.Host}\",method=\"HEAD\",status=\"200\"\\}} [1-9]", metrics);
        Assert.Matches("cvmfs_image_sync_bytes_pulled_total [1-9]", metrics);
        using var missing = await http.GetAsync(new Uri($"http://127.0.0.1:{port}/nothing"), ct);
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);

        await stop.CancelAsync();
        var exit = await serve.WaitAsync(Patience, ct);
        Assert.True(exit == ExitCodes.Success, $"exit {exit}\n{error}");
    }

    [Fact]
    public async Task Sigterm_during_a_publish_leaves_the_repository_consistent_and_the_next_pass_completes_it()
    {
        var registry = fixture.Registry;
        var ct = TestContext.Current.CancellationToken;
        using var client = new RegistryClient(new RegistryClientOptions());
        var lines = new List<string>();
        for (var i = 0; i < 4; i++)
        {
            var reference = $"{registry.Host}/term/big{i}:1";
            await TestImage.Create()
                .WithLayer(TestFile.Text("etc/hello", $"big {i}\n"))
                .WithRandomLayer("data/blob", 24L * 1024 * 1024, seed: i)
                .PushAsync(client, reference, ct);
            lines.Add(reference);
        }

        using var h = new SyncHarness();
        h.WriteList([.. lines]);
        var dll = Path.Combine(AppContext.BaseDirectory, "cvmfs-image-sync.dll");
        var psi = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in (string[])["exec", dll, "serve", .. h.CommonArgs("--set", "Sync:Metrics:Enabled=false", "--set", "Sync:MaxConcurrentPulls=1", "--set", "Sync:PublishBatchSize=1")])
        {
            psi.ArgumentList.Add(arg);
        }

        var log = new StringBuilder();
        var publishing = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var process = new Process { StartInfo = psi };
        DataReceivedEventHandler append = (_, e) =>
        {
            if (e.Data is null)
            {
                return;
            }

            lock (log)
            {
                log.AppendLine(e.Data);
            }

            if (e.Data.Contains("Publishing ", StringComparison.Ordinal))
            {
                publishing.TrySetResult();
            }
        };
        process.OutputDataReceived += append;
        process.ErrorDataReceived += append;
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            await publishing.Task.WaitAsync(Patience, ct);
            using (var kill = Process.Start("kill", ["-TERM", process.Id.ToString(CultureInfo.InvariantCulture)]))
            {
                await kill.WaitForExitAsync(ct);
            }

            await process.WaitForExitAsync(ct).WaitAsync(Patience, ct);
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }

        Assert.True(process.ExitCode == 0, $"exit {process.ExitCode}\n{log}");
        AssertConsistent(h);

        // The next pass brings everything up to date.
        var (report, _) = await h.SyncAsync();
        Assert.True(report.Succeeded, string.Join('\n', report.Results.Select(r => $"{r.Reference} {r.Outcome} {r.Detail}")));
        AssertConsistent(h);
        for (var i = 0; i < 4; i++)
        {
            Assert.Equal($"big {i}\n", h.ReadFromImage($"term/big{i}:1", "etc/hello"));
        }
    }

    /// <summary>Every tag is a symlink to a whole published image with its metadata; no tag points nowhere.</summary>
    private static void AssertConsistent(SyncHarness h)
    {
        foreach (var relative in Tags(h.Root, h.Root))
        {
            var image = h.ImageOf(relative);
            Assert.NotNull(image);
            Assert.True(Directory.Exists(Path.Combine(h.Root, image)), $"{relative} points at a missing image {image}");
            Assert.True(File.Exists(Path.Combine(h.Root, image + ".json")), $"{relative}: the image {image} has no metadata");
            Assert.True(File.Exists(Path.Combine(h.Root, relative, "etc/hello")), $"{relative}: the image is incomplete");
        }
    }

    // The tag symlinks under the root, without descending into links or the publisher's dot directories.
    private static IEnumerable<string> Tags(string root, string dir)
    {
        foreach (var info in new DirectoryInfo(dir).EnumerateFileSystemInfos())
        {
            if (info.Name.StartsWith('.'))
            {
                continue;
            }

            if (info.LinkTarget is not null)
            {
                yield return Path.GetRelativePath(root, info.FullName);
            }
            else if (info is DirectoryInfo)
            {
                foreach (var tag in Tags(root, info.FullName))
                {
                    yield return tag;
                }
            }
        }
    }

    private static async Task WaitUntilAsync(Func<bool> condition, Task<int> serve, string what)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            if (serve.IsCompleted)
            {
                Assert.Fail($"serve exited with {await serve} while waiting for {what}");
            }

            if (clock.Elapsed > Patience)
            {
                Assert.Fail($"serve did not act on {what} within {Patience.TotalSeconds} s");
            }

            await Task.Delay(100, TestContext.Current.CancellationToken);
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
