using CvmfsImages.Sync;

namespace CvmfsImages.Tests.SyncService.Web;

/// <summary>
/// An observer that holds the pass after each published image until the test lets it go on: the engine waits for its
/// observers, so the page can be looked at in the middle of a real pass.
/// </summary>
internal sealed class PassGate : ISyncObserver, IDisposable
{
    private readonly SemaphoreSlim _arrived = new(0);
    private readonly SemaphoreSlim _release = new(0);

    /// <summary>When false, images pass without waiting.</summary>
    public bool Holding { get; set; } = true;

    public async Task OnImagePublishedAsync(PublishedImageNotice n, CancellationToken ct)
    {
        if (!Holding)
        {
            return;
        }

        _arrived.Release();
        await _release.WaitAsync(ct);
    }

    public Task OnImageFailedAsync(FailedImageNotice n, CancellationToken ct) => Task.CompletedTask;

    /// <summary>Waits until the pass is held after a published image.</summary>
    public async Task WaitHeldAsync()
    {
        if (!await _arrived.WaitAsync(TimeSpan.FromSeconds(90), Xunit.TestContext.Current.CancellationToken))
        {
            throw new TimeoutException("the pass never reached a published image");
        }
    }

    public void Release() => _release.Release();

    public void Dispose()
    {
        _arrived.Dispose();
        _release.Dispose();
    }

    public void ReleaseAll()
    {
        Holding = false;
        _release.Release(100);
    }
}
