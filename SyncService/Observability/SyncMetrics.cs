using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using CvmfsImages.Registry;
using CvmfsImages.Sync.Execution;

namespace CvmfsImages.Sync.Observability;

/// <summary>
/// The worker's counters and gauges, rendered in the Prometheus text exposition format (version 0.0.4). Thread-safe:
/// the engine, the registry client's events and the HTTP endpoint touch it concurrently.
/// </summary>
public sealed class SyncMetrics
{
    private readonly ConcurrentDictionary<(string Registry, string Method, string Status), long> _requests = new();
    private readonly Lock _gate = new();
    private long _bytesPulled;
    private long _syncsSucceeded;
    private long _syncsFailed;
    private int _listed;
    private int _published;
    private int _failed;
    private DateTimeOffset? _lastSyncEnd;
    private TimeSpan _lastSyncDuration;
    private bool _lastSyncSucceeded;

    /// <summary>Counts one registry request (subscribe to <see cref="RegistryClient.RequestCompleted"/>).</summary>
    public void OnRegistryRequest(object? sender, RegistryRequestEventArgs e)
    {
        ArgumentNullException.ThrowIfNull(e);
        var status = e.StatusCode is { } code ? ((int)code).ToString(CultureInfo.InvariantCulture) : "error";
        _requests.AddOrUpdate((e.Registry, e.Method, status), 1, (_, n) => n + 1);
    }

    /// <summary>Adds downloaded bytes (as they are read).</summary>
    public void AddBytesPulled(long bytes) => Interlocked.Add(ref _bytesPulled, bytes);

    public long BytesPulled => Interlocked.Read(ref _bytesPulled);

    /// <summary>Total registry requests seen, by method (for tests and the summary).</summary>
    public long Requests(string? method = null) =>
        _requests.Where(kv => method is null || kv.Key.Method == method).Sum(kv => kv.Value);

    /// <summary>Records a finished sync and the number of paths published afterwards.</summary>
    public void RecordSync(SyncReport report, int publishedPaths)
    {
        ArgumentNullException.ThrowIfNull(report);
        lock (_gate)
        {
            _listed = report.Results.Count(r => r.Outcome != ImageOutcome.Removed);
            _failed = report.Count(ImageOutcome.Failed);
            _published = publishedPaths;
            _lastSyncEnd = report.StartedAt + report.Duration;
            _lastSyncDuration = report.Duration;
            _lastSyncSucceeded = report.Succeeded;
            if (report.Succeeded)
            {
                _syncsSucceeded++;
            }
            else
            {
                _syncsFailed++;
            }
        }
    }

    /// <summary>The metrics in Prometheus text format.</summary>
    public string Render()
    {
        var b = new StringBuilder();
        lock (_gate)
        {
            Gauge(b, "cvmfs_image_sync_images_listed", "Targets (reference and platform) the list asked for in the last sync.", _listed);
            Gauge(b, "cvmfs_image_sync_images_published", "Paths published in the repository after the last sync.", _published);
            Gauge(b, "cvmfs_image_sync_images_failed", "Targets that failed in the last sync (their last published version stays).", _failed);
            Gauge(b, "cvmfs_image_sync_last_sync_timestamp_seconds", "Unix time the last sync ended.", _lastSyncEnd?.ToUnixTimeMilliseconds() / 1000.0 ?? 0);
            Gauge(b, "cvmfs_image_sync_last_sync_duration_seconds", "Duration of the last sync.", _lastSyncDuration.TotalSeconds);
            Gauge(b, "cvmfs_image_sync_last_sync_success", "1 when the last sync brought every target up to date.", _lastSyncSucceeded ? 1 : 0);
            b.Append("# HELP cvmfs_image_sync_syncs_total Sync passes by result.\n# TYPE cvmfs_image_sync_syncs_total counter\n");
            b.Append(CultureInfo.InvariantCulture, $"cvmfs_image_sync_syncs_total{{result=\"success\"}} {_syncsSucceeded}\n");
            b.Append(CultureInfo.InvariantCulture, $"cvmfs_image_sync_syncs_total{{result=\"failure\"}} {_syncsFailed}\n");
        }

        b.Append("# HELP cvmfs_image_sync_bytes_pulled_total Bytes downloaded from registries (layers and configs).\n");
        b.Append("# TYPE cvmfs_image_sync_bytes_pulled_total counter\n");
        b.Append(CultureInfo.InvariantCulture, $"cvmfs_image_sync_bytes_pulled_total {BytesPulled}\n");
        b.Append("# HELP cvmfs_image_sync_registry_requests_total Registry HTTP requests by registry, method and status.\n");
        b.Append("# TYPE cvmfs_image_sync_registry_requests_total counter\n");
        foreach (var ((registry, method, status), count) in _requests.OrderBy(kv => kv.Key))
        {
            b.Append(CultureInfo.InvariantCulture, $"cvmfs_image_sync_registry_requests_total{{registry=\"{Escape(registry)}\",method=\"{Escape(method)}\",status=\"{status}\"}} {count}\n");
        }

        return b.ToString();
    }

    private static void Gauge(StringBuilder b, string name, string help, double value)
    {
        b.Append(CultureInfo.InvariantCulture, $"# HELP {name} {help}\n# TYPE {name} gauge\n{name} {value.ToString("R", CultureInfo.InvariantCulture)}\n");
    }

    private static string Escape(string value) =>
        value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal);
}
