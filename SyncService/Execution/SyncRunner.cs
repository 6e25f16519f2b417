using CvmfsImages.Publisher.Publishing;
using CvmfsImages.Sync.Configuration;
using CvmfsImages.Sync.Lists;
using CvmfsImages.Sync.Observability;
using CvmfsImages.Sync.Status;
using Microsoft.Extensions.Logging;

namespace CvmfsImages.Sync.Execution;

/// <summary>
/// The sync service's logic, called by the command line and by the Quartz jobs alike: read the list, run a pass over
/// the repository (one at a time, <see cref="RepositoryGate"/>), record status and metrics. Remembers the last list it
/// applied, so a poll syncs only what changed (plus the lines that failed last time). A list counts as applied only
/// when a pass over it finished (its per-image failures are retried by the schedules): when a pass throws, the list
/// source already calls that version seen (304, same hash), so the runner keeps it and the next poll runs it again.
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
    private ListSnapshot? _unapplied;
    private string? _appliedVersion;
    private bool _recovered;

    /// <summary>
    /// Tests only: called inside the repository gate at the start and end of each piece of repository work
    /// (<c>sync-start</c>, <c>sync-end</c>, <c>gc-start</c>, <c>gc-end</c>); an exception thrown at a start fails that work.
    /// A hook on purpose: the overlap tests hold a job inside the gate and the unapplied-list tests break a pass after
    /// its list was read; the production seams (the gate, the list source, the clock) do not reach those points.
    /// </summary>
    internal Func<string, CancellationToken, Task>? TestHook { get; set; }

    /// <summary>The version of the list the last finished pass applied (null before one finished).</summary>
    public string? AppliedListVersion
    {
        get
        {
            lock (_stateGate)
            {
                return _appliedVersion;
            }
        }
    }

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
        var snapshot = await listSource.ReadAsync(ct).ConfigureAwait(false) ?? Unapplied;
        var list = snapshot is null ? CurrentList : Parse(snapshot);
        if (list is null)
        {
            throw new ListReadException(options.List, $"the list '{options.List}' was reported unchanged before it was ever read");
        }

        return await RunAsync(list, snapshot, SyncScope.Full, progress, ct).ConfigureAwait(false);
    }

    /// <summary>A poll: reads the list; when it changed, syncs the changed lines and the ones that failed last time. Null when unchanged.</summary>
    public async Task<SyncReport?> SyncChangesAsync(IProgress<ImageProgress>? progress, CancellationToken ct)
    {
        using var held = await gate.EnterAsync(ct).ConfigureAwait(false);
        var snapshot = await listSource.ReadAsync(ct).ConfigureAwait(false);
        if (snapshot is not null)
        {
            LogListChanged(logger, snapshot.Source, snapshot.Version);
        }
        else if (Unapplied is { } unapplied)
        {
            // Unchanged at the source, but the last pass over this version threw: it was never applied.
            snapshot = unapplied;
            LogListNotApplied(logger, snapshot.Source, snapshot.Version);
        }
        else
        {
            LogListUnchanged(logger, options.List);
            return null;
        }

        var previous = CurrentList;
        var list = Parse(snapshot);
        var changed = SyncScope.Changed(previous, list);
        HashSet<string> failed;
        lock (_stateGate)
        {
            failed = _failedKeys;
        }

        var scope = changed == SyncScope.Full ? changed : new SyncScope("list change", e => changed.Includes(e) || failed.Contains(e.Key));
        return await RunAsync(list, snapshot, scope, progress, ct).ConfigureAwait(false);
    }

    /// <summary>Garbage collection, never during a pass.</summary>
    public async Task<GcResult> CollectGarbageAsync(bool dryRun, CancellationToken ct)
    {
        using var held = await gate.EnterAsync(ct).ConfigureAwait(false);
        try
        {
            await Hook("gc-start", ct).ConfigureAwait(false);
            await RecoverOnceAsync(ct).ConfigureAwait(false);
            var result = await repository.CollectGarbageAsync(dryRun, ct).ConfigureAwait(false);
            LogGarbageCollected(logger, dryRun, result.Removed.Count, result.MarkedUnreferenced.Count, result.Waiting.Count, result.Failed.Count);
            return result;
        }
        finally
        {
            await Hook("gc-end", CancellationToken.None).ConfigureAwait(false);
        }
    }

    // The list read but not applied: a pass over it threw (or was stopped) before it finished.
    private ListSnapshot? Unapplied
    {
        get
        {
            lock (_stateGate)
            {
                return _unapplied;
            }
        }
    }

    private ImageList Parse(ListSnapshot snapshot) => ImageList.Parse(snapshot.Text, snapshot.Source, options.MaxListLines);

    private async Task<SyncReport> RunAsync(ImageList list, ListSnapshot? snapshot, SyncScope scope, IProgress<ImageProgress>? progress, CancellationToken ct)
    {
        if (snapshot is not null)
        {
            lock (_stateGate)
            {
                _unapplied = snapshot;
            }
        }

        SyncReport report;
        try
        {
            await Hook("sync-start", ct).ConfigureAwait(false);
            await RecoverOnceAsync(ct).ConfigureAwait(false);
            report = await engine.RunAsync(list, scope, progress, ct).ConfigureAwait(false);
        }
        finally
        {
            await Hook("sync-end", CancellationToken.None).ConfigureAwait(false);
        }

        var failedLines = report.Results.Where(r => r.Outcome == ImageOutcome.Failed).Select(r => r.LineNumber).ToHashSet();
        lock (_stateGate)
        {
            _current = list;
            _failedKeys = list.Entries.Where(e => failedLines.Contains(e.LineNumber)).Select(e => e.Key).ToHashSet(StringComparer.Ordinal);
            if (snapshot is not null && ReferenceEquals(_unapplied, snapshot))
            {
                _appliedVersion = snapshot.Version;
                _unapplied = null;
            }
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

    private Task Hook(string point, CancellationToken ct) => TestHook?.Invoke(point, ct) ?? Task.CompletedTask;

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
