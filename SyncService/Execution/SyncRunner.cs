using CvmfsImages.Publisher.Publishing;
using CvmfsImages.Sync.Configuration;
using CvmfsImages.Sync.Lists;
using CvmfsImages.Sync.Observability;
using CvmfsImages.Sync.Status;
using Microsoft.Extensions.Logging;

namespace CvmfsImages.Sync.Execution;

/// <summary>
/// The sync service's logic, called by the command line and by the Quartz jobs alike: read the list, run a pass over
/// the repository (one at a time, <see cref="RepositoryGate"/>), record status and metrics. Remembers the last list, so
/// a poll syncs only what changed (plus the lines that failed last time).
/// </summary>
internal sealed partial class SyncRunner(
    SyncEngine engine,
    CvmfsRepository repository,
    IListSource listSource,
    RepositoryGate gate,
    StatusStore status,
    SyncMetrics metrics,
    SyncOptions options,
    ILogger<SyncRunner> logger)
{
    private readonly Lock _stateGate = new();
    private ImageList? _current;
    private HashSet<string> _failedKeys = new(StringComparer.Ordinal);
    private bool _recovered;

    /// <summary>The list last read (null before the first read).</summary>
    public ImageList? CurrentList
    {
        get
        {
            lock (_stateGate)
            {
                return _current;
            }
        }
    }

    /// <summary>A full pass: every line resolved again.</summary>
    public async Task<SyncReport> SyncAllAsync(IProgress<ImageProgress>? progress, CancellationToken ct)
    {
        using var held = await gate.EnterAsync(ct).ConfigureAwait(false);
        var snapshot = await listSource.ReadAsync(ct).ConfigureAwait(false);
        var list = snapshot is null ? CurrentList : Parse(snapshot);
        if (list is null)
        {
            throw new ListReadException(options.List, $"the list '{options.List}' was reported unchanged before it was ever read");
        }

        return await RunAsync(list, SyncScope.Full, progress, ct).ConfigureAwait(false);
    }

    /// <summary>A poll: reads the list; when it changed, syncs the changed lines and the ones that failed last time. Null when unchanged.</summary>
    public async Task<SyncReport?> SyncChangesAsync(IProgress<ImageProgress>? progress, CancellationToken ct)
    {
        using var held = await gate.EnterAsync(ct).ConfigureAwait(false);
        var snapshot = await listSource.ReadAsync(ct).ConfigureAwait(false);
        if (snapshot is null)
        {
            LogListUnchanged(logger, options.List);
            return null;
        }

        var previous = CurrentList;
        var list = Parse(snapshot);
        LogListChanged(logger, snapshot.Source, snapshot.Version);
        var changed = SyncScope.Changed(previous, list);
        HashSet<string> failed;
        lock (_stateGate)
        {
            failed = _failedKeys;
        }

        var scope = changed == SyncScope.Full ? changed : new SyncScope("list change", e => changed.Includes(e) || failed.Contains(e.Key));
        return await RunAsync(list, scope, progress, ct).ConfigureAwait(false);
    }

    /// <summary>Garbage collection, never during a pass.</summary>
    public async Task<GcResult> CollectGarbageAsync(bool dryRun, CancellationToken ct)
    {
        using var held = await gate.EnterAsync(ct).ConfigureAwait(false);
        await RecoverOnceAsync(ct).ConfigureAwait(false);
        var result = await repository.CollectGarbageAsync(dryRun, ct).ConfigureAwait(false);
        LogGarbageCollected(logger, dryRun, result.Removed.Count, result.MarkedUnreferenced.Count, result.Waiting.Count, result.Failed.Count);
        return result;
    }

    private ImageList Parse(ListSnapshot snapshot) => ImageList.Parse(snapshot.Text, snapshot.Source, options.MaxListLines);

    private async Task<SyncReport> RunAsync(ImageList list, SyncScope scope, IProgress<ImageProgress>? progress, CancellationToken ct)
    {
        await RecoverOnceAsync(ct).ConfigureAwait(false);
        var report = await engine.RunAsync(list, scope, progress, ct).ConfigureAwait(false);
        var failedLines = report.Results.Where(r => r.Outcome == ImageOutcome.Failed).Select(r => r.LineNumber).ToHashSet();
        lock (_stateGate)
        {
            _current = list;
            _failedKeys = list.Entries.Where(e => failedLines.Contains(e.LineNumber)).Select(e => e.Key).ToHashSet(StringComparer.Ordinal);
        }

        var current = report.Results.Count(r => r.Outcome is ImageOutcome.Current or ImageOutcome.Published or ImageOutcome.Updated);
        metrics.RecordSync(report, current);
        try
        {
            await status.RecordAsync(report, scope.Name, CancellationToken.None).ConfigureAwait(false);
        }
        catch (IOException ex)
        {
            LogStatusWriteFailed(logger, ex, status.FilePath);
        }

        return report;
    }

    private async Task RecoverOnceAsync(CancellationToken ct)
    {
        if (_recovered)
        {
            return;
        }

        await repository.RecoverAsync(ct).ConfigureAwait(false);
        _recovered = true;
    }
}
