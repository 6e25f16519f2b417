using CvmfsImages.Registry;
using CvmfsImages.Sync.Configuration;
using CvmfsImages.Sync.Hosting;
using CvmfsImages.Tests.SyncService.EndToEnd;
using CvmfsImages.TestSupport;
using CvmfsImages.TestSupport.Images;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Xunit;

namespace CvmfsImages.Tests.SyncService.Web;

/// <summary>
/// <c>serve</c> in-process (<see cref="ServeHost"/>) with the real registry and the directory backend, its HTTP host
/// on a free loopback port, schedules an hour away (the first pass runs at start). Observers can hold the pass.
/// </summary>
internal sealed class ServeHostFixture : IAsyncDisposable
{
    private ServeHostFixture(SyncHarness harness, IHost host)
    {
        Harness = harness;
        Host = host;
        BaseUri = ServeHost.Addresses(host).Single();
    }

    public SyncHarness Harness { get; }

    public IHost Host { get; }

    public Uri BaseUri { get; }

    public static async Task<ServeHostFixture> StartAsync(string[] lines, Action<IServiceCollection>? configure = null, params string[] settings)
    {
        var ct = TestContext.Current.CancellationToken;
        var harness = new SyncHarness();
        harness.WriteList(lines);
        var loaded = SyncSettings.Load(
            new CommandLineOverrides
            {
                List = harness.ListPath,
                Root = harness.Root,
                Settings =
                [
                    "Sync:StateDirectory=" + harness.State,
                    "Http:Urls=http://127.0.0.1:0",
                    "Sync:Schedules:ListPoll=01:00:00",
                    "Sync:Schedules:FullResync=01:00:00",
                    "Sync:Schedules:GarbageCollection=01:00:00",
                    "Registry:MaxRetries=1",
                    "Registry:RetryBaseDelay=00:00:00.010",
                    .. settings,
                ],
            },
            includeSystemFile: false);
        var host = await ServeHost.BuildAsync(loaded, verbose: false, null, configure, ct);
        await host.StartAsync(ct);
        return new ServeHostFixture(harness, host);
    }

    /// <summary>Pushes a small image with one text file.</summary>
    public static async Task PushAsync(DistributionRegistry registry, string repositoryAndTag, string content)
    {
        using var client = new RegistryClient(new RegistryClientOptions());
        await TestImage.Create().WithLayer(TestFile.Text("etc/hello", content)).PushAsync(client, $"{registry.Host}/{repositoryAndTag}", TestContext.Current.CancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        await Host.StopAsync(CancellationToken.None);
        Host.Dispose();
        Harness.Dispose();
    }
}
