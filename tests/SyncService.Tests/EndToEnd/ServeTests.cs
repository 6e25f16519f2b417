using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using CvmfsImages.Registry;
using CvmfsImages.Sync.CommandLine;
using CvmfsImages.Sync.Execution;
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
                "--set", "Http:Urls=http://127.0.0.1:" + port.ToString(CultureInfo.InvariantCulture)),
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
        using (var serve = ServeProcess.Start(h.CommonArgs("--set", "Http:Urls=http://127.0.0.1:0", "--set", "Sync:MaxConcurrentPulls=1", "--set", "Sync:PublishBatchSize=1")))
        {
            await serve.WaitForLineAsync("Publishing ");
            await serve.TerminateAsync();
            Assert.True(serve.ExitCode == 0, $"exit {serve.ExitCode}\n{serve.Log}");
        }

        AssertConsistent(h.Root);
        Assert.DoesNotContain(Directory.EnumerateFileSystemEntries(Path.Combine(h.Root, ".staging")), Directory.Exists); // no staged tree left

        // The next pass brings everything up to date.
        var (report, _) = await h.SyncAsync();
        Assert.True(report.Succeeded, string.Join('\n', report.Results.Select(r => $"{r.Reference} {r.Outcome} {r.Detail}")));
        AssertConsistent(h.Root);
        for (var i = 0; i < 4; i++)
        {
            Assert.Equal($"big {i}\n", h.ReadFromImage($"term/big{i}:1", "etc/hello"));
        }
    }

    [Fact]
    public async Task Sigterm_while_cvmfs_server_publish_runs_lets_the_publish_finish_and_exits_0()
    {
        var registry = fixture.Registry;
        var ct = TestContext.Current.CancellationToken;
        using var client = new RegistryClient(new RegistryClientOptions());
        await TestImage.Create().WithLayer(TestFile.Text("etc/hello", "held a\n")).PushAsync(client, $"{registry.Host}/held/a:1", ct);
        await TestImage.Create().WithLayer(TestFile.Text("etc/hello", "held b\n")).PushAsync(client, $"{registry.Host}/held/b:1", ct);
        using var repo = new StandInRepository();
        using var h = new SyncHarness { PublisherSettings = repo.Settings };
        h.WriteList($"{registry.Host}/held/a:1", $"{registry.Host}/held/b:1");

        // The transaction is open, both images and tags are written into it, and `cvmfs_server publish` is running
        // (held by the stand-in's wrapper) when systemd's SIGTERM arrives.
        repo.HoldNextPublish();
        using (var serve = ServeProcess.Start(h.CommonArgs("--set", "Http:Urls=http://127.0.0.1:0")))
        {
            await serve.WaitUntilAsync(() => File.Exists(repo.HeldFile) && File.ReadAllText(repo.HeldFile).EndsWith('\n'), "a running cvmfs_server publish");
            Assert.True(File.Exists(repo.TransactionMarker), "the transaction is open when the signal comes");
            var held = int.Parse(File.ReadAllText(repo.HeldFile).Trim(), CultureInfo.InvariantCulture);
            await serve.SignalTerminateAsync();
            await serve.WaitForLineAsync("stop requested");

            // The publish is the commit: the service waits for it instead of killing it.
            Assert.True(Directory.Exists($"/proc/{held}"), $"the running cvmfs_server publish was killed\n{serve.Log}");
            Assert.False(serve.HasExited, $"serve exited before its publish finished\n{serve.Log}");
            repo.ReleaseHeldPublish();
            await serve.WaitForExitAsync();
            Assert.True(serve.ExitCode == 0, $"exit {serve.ExitCode}\n{serve.Log}");
        }

        // Published, not aborted: no transaction open, both images and tags in the tree.
        Assert.False(File.Exists(repo.TransactionMarker), "the transaction was left open");
        Assert.False(File.Exists(Path.Combine(repo.Staging, "transaction.open")), "the publisher's transaction marker was left behind");
        Assert.Equal(["held/a:1", "held/b:1"], Tags(repo.Tree, repo.Tree).Order(StringComparer.Ordinal));
        AssertConsistent(repo.Tree);
        Assert.Equal("held a\n", File.ReadAllText(Path.Combine(repo.Tree, "held/a:1", "etc/hello")));
        Assert.Equal("held b\n", File.ReadAllText(Path.Combine(repo.Tree, "held/b:1", "etc/hello")));

        // The next pass finds both current: nothing to publish again.
        var (report, _) = await h.SyncAsync();
        Assert.True(report.Succeeded, string.Join('\n', report.Results.Select(r => $"{r.Reference} {r.Outcome} {r.Detail}")));
        Assert.Equal(2, report.Count(ImageOutcome.Current));
        Assert.False(File.Exists(repo.TransactionMarker));
    }

    /// <summary>Every tag is a symlink to a whole published image with its metadata; no tag points nowhere.</summary>
    private static void AssertConsistent(string root)
    {
        foreach (var relative in Tags(root, root))
        {
            var image = SyncHarness.ImageOf(root, relative);
            Assert.NotNull(image);
            Assert.True(Directory.Exists(Path.Combine(root, image)), $"{relative} points at a missing image {image}");
            Assert.True(File.Exists(Path.Combine(root, image + ".json")), $"{relative}: the image {image} has no metadata");
            Assert.True(File.Exists(Path.Combine(root, relative, "etc/hello")), $"{relative}: the image is incomplete");
        }
    }

    // The tag symlinks under the root, without descending into links or the publisher's dot directories.
    private static List<string> Tags(string root, string dir)
    {
        var tags = new List<string>();
        foreach (var info in new DirectoryInfo(dir).EnumerateFileSystemInfos())
        {
            if (info.Name.StartsWith('.'))
            {
                continue;
            }

            if (info.LinkTarget is not null)
            {
                tags.Add(Path.GetRelativePath(root, info.FullName));
            }
            else if (info is DirectoryInfo)
            {
                tags.AddRange(Tags(root, info.FullName));
            }
        }

        return tags;
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
