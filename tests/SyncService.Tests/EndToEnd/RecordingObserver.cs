using System.Collections.Concurrent;
using CvmfsImages.Sync;

namespace CvmfsImages.Tests.SyncService.EndToEnd;

/// <summary>Keeps every notice a sync sends.</summary>
internal sealed class RecordingObserver : ISyncObserver
{
    public ConcurrentQueue<PublishedImageNotice> Published { get; } = new();

    public ConcurrentQueue<FailedImageNotice> Failed { get; } = new();

    public Task OnImagePublishedAsync(PublishedImageNotice n, CancellationToken ct)
    {
        Published.Enqueue(n);
        return Task.CompletedTask;
    }

    public Task OnImageFailedAsync(FailedImageNotice n, CancellationToken ct)
    {
        Failed.Enqueue(n);
        return Task.CompletedTask;
    }
}
