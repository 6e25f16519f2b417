using System.Globalization;
using CvmfsImages.Registry;
using CvmfsImages.Sync.Execution;
using Prometheus;

namespace CvmfsImages.Sync.Observability;

/// <summary>
/// The worker's counters and gauges, kept by prometheus-net in a registry of their own (<see cref="Registry"/>, which
/// <c>serve</c> exports on <c>/metrics</c> together with its HTTP request metrics). The names are the service's
/// stable interface for dashboards and alerts; they predate the exporter and must not change. Thread-safe: the
/// engine, the registry client's events and the HTTP endpoint touch it concurrently.
/// </summary>
public sealed class SyncMetrics
{
    private readonly Gauge _listed;
    private readonly Gauge _published;
    private readonly Gauge _failed;
    private readonly Gauge _lastSyncEnd;
    private readonly Gauge _lastSyncDuration;
    private readonly Gauge _lastSyncSuccess;
    private readonly Counter _syncs;
    private readonly Counter _bytesPulled;
    private readonly Counter _requests;

    public SyncMetrics()
    {
        Registry = Metrics.NewCustomRegistry();
        var factory = Metrics.WithCustomRegistry(Registry);
        _listed = factory.CreateGauge("cvmfs_image_sync_images_listed", "Targets (reference and platform) the list asked for in the last sync.");
        _published = factory.CreateGauge("cvmfs_image_sync_images_published", "Paths published in the repository after the last sync.");
        _failed = factory.CreateGauge("cvmfs_image_sync_images_failed", "Targets that failed in the last sync (their last published version stays).");
        _lastSyncEnd = factory.CreateGauge("cvmfs_image_sync_last_sync_timestamp_seconds", "Unix time the last sync ended.");
        _lastSyncDuration = factory.CreateGauge("cvmfs_image_sync_last_sync_duration_seconds", "Duration of the last sync.");
        _lastSyncSuccess = factory.CreateGauge("cvmfs_image_sync_last_sync_success", "1 when the last sync brought every target up to date.");
        _syncs = factory.CreateCounter("cvmfs_image_sync_syncs_total", "Sync passes by result.", "result");
        _bytesPulled = factory.CreateCounter("cvmfs_image_sync_bytes_pulled_total", "Bytes downloaded from registries (layers and configs).");
        _requests = factory.CreateCounter("cvmfs_image_sync_registry_requests_total", "Registry HTTP requests by registry, method and status.", "registry", "method", "status");

        // Both results are present from the start, so a rate over them works before the first failure.
        _syncs.WithLabels("success");
        _syncs.WithLabels("failure");
    }

    /// <summary>The prometheus-net registry holding these metrics (and, in <c>serve</c>, the HTTP request metrics).</summary>
    public CollectorRegistry Registry { get; }

    /// <summary>Counts one registry request (subscribe to <see cref="RegistryClient.RequestCompleted"/>).</summary>
    public void OnRegistryRequest(object? sender, RegistryRequestEventArgs e)
    {
        ArgumentNullException.ThrowIfNull(e);
        var status = e.StatusCode is { } code ? ((int)code).ToString(CultureInfo.InvariantCulture) : "error";
        _requests.WithLabels(e.Registry, e.Method, status).Inc();
    }

    /// <summary>Adds downloaded bytes (as they are read).</summary>
    public void AddBytesPulled(long bytes) => _bytesPulled.Inc(bytes);

    public long BytesPulled => (long)_bytesPulled.Value;

    /// <summary>Total registry requests seen, by method (for tests and the summary).</summary>
    public long Requests(string? method = null) =>
        (long)_requests.GetAllLabelValues().Where(l => method is null || l[1] == method).Sum(l => _requests.WithLabels(l).Value);

    /// <summary>Records a finished sync and the number of paths published afterwards.</summary>
    public void RecordSync(SyncReport report, int publishedPaths)
    {
        ArgumentNullException.ThrowIfNull(report);
        _listed.Set(report.Results.Count(r => r.Outcome != ImageOutcome.Removed));
        _failed.Set(report.Count(ImageOutcome.Failed));
        _published.Set(publishedPaths);
        _lastSyncEnd.Set((report.StartedAt + report.Duration).ToUnixTimeMilliseconds() / 1000.0);
        _lastSyncDuration.Set(report.Duration.TotalSeconds);
        _lastSyncSuccess.Set(report.Succeeded ? 1 : 0);
        _syncs.WithLabels(report.Succeeded ? "success" : "failure").Inc();
    }

    /// <summary>The metrics in Prometheus text format (version 0.0.4), as <c>/metrics</c> serves them.</summary>
    public async Task<string> RenderAsync(CancellationToken ct)
    {
        using var buffer = new MemoryStream();
        await Registry.CollectAndExportAsTextAsync(buffer, ct).ConfigureAwait(false);
        return System.Text.Encoding.UTF8.GetString(buffer.ToArray());
    }
}
