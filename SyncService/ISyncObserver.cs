namespace CvmfsImages.Sync;

/// <summary>
/// Told about every image a sync publishes or fails on, after the transaction that published it (GitHub notices on
/// pull requests plug in here). An observer that throws is logged and does not affect the sync.
/// </summary>
public interface ISyncObserver
{
    Task OnImagePublishedAsync(PublishedImageNotice n, CancellationToken ct);

    Task OnImageFailedAsync(FailedImageNotice n, CancellationToken ct);
}
