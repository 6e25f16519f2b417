using Xunit;

namespace CvmfsImages.TestSupport;

/// <summary>
/// A class or collection fixture holding one open (no auth) registry for all tests of a class. A missing binary does
/// not fail fixture creation: <see cref="Registry"/> then skips (or, under CI, fails) each test that asks for it.
/// </summary>
public class RegistryFixture : IAsyncLifetime
{
    private DistributionRegistry? _registry;
    private string? _unavailable;

    /// <summary>The running registry; skips the calling test when it could not be started for a missing binary.</summary>
    public DistributionRegistry Registry
    {
        get
        {
            if (_registry is null)
            {
                RequiredTool.SkipOrFail(_unavailable ?? "the registry fixture was not initialised");
            }

            return _registry;
        }
    }

    public async ValueTask InitializeAsync()
    {
        if (RequiredTool.Find("docker-registry") is null)
        {
            _unavailable = "'docker-registry' is not installed: run `apt-get install docker-registry` (or ./test.sh as root, which installs it)";
            return;
        }

        _registry = await DistributionRegistry.StartAsync(accessLog: AccessLog, cancellationToken: TestContext.Current.CancellationToken);
    }

    /// <summary>Whether the registry writes its access log (one line per request) into <see cref="DistributionRegistry.Log"/>.</summary>
    protected virtual bool AccessLog => false;

    public async ValueTask DisposeAsync()
    {
        if (_registry is not null)
        {
            await _registry.DisposeAsync();
        }

        GC.SuppressFinalize(this);
    }
}

/// <summary>A <see cref="RegistryFixture"/> whose registry logs every request, for tests that count requests at the server.</summary>
public sealed class AccessLoggedRegistryFixture : RegistryFixture
{
    protected override bool AccessLog => true;
}
