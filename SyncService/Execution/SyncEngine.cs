using System.Diagnostics;
using CvmfsImages.Publisher.Flattening;
using CvmfsImages.Publisher.Publishing;
using CvmfsImages.Registry;
using CvmfsImages.Registry.Names;
using CvmfsImages.Sync.Configuration;
using CvmfsImages.Sync.Lists;
using CvmfsImages.Sync.Observability;
using CvmfsImages.Sync.Planning;
using Microsoft.Extensions.Logging;

namespace CvmfsImages.Sync.Execution;

/// <summary>
/// One sync pass: expand globs, resolve every target (one HEAD each), plan against the published state, fetch
/// manifests only for what changed, pull and flatten new images with bounded concurrency, publish in batches, remove
/// unlisted paths. One image's failure never stops the others; every failure is logged with its reference and cause.
/// The caller serialises passes over one repository (<see cref="RepositoryGate"/>).
/// </summary>
internal sealed partial class SyncEngine
{
    private readonly RegistryClient _registry;
    private readonly CvmfsRepository _repository;
    private readonly ImageFlattener _flattener;
    private readonly SyncOptions _options;
    private readonly PathStyle _style;
    private readonly IReadOnlyList<Platform> _platforms;
    private readonly IReadOnlyList<ISyncObserver> _observers;
    private readonly SyncMetrics _metrics;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly string _publishedRoot;

    public SyncEngine(
        RegistryClient registry,
        CvmfsRepository repository,
        ImageFlattener flattener,
        SyncOptions options,
        PathStyle style,
        IEnumerable<ISyncObserver> observers,
        SyncMetrics metrics,
        ILogger<SyncEngine> logger,
        TimeProvider? time = null,
        string? publishedRoot = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _registry = registry ?? throw new ArgumentNullException(nameof(registry));
        _repository = repository ?? throw new ArgumentNullException(nameof(repository));
        _flattener = flattener ?? throw new ArgumentNullException(nameof(flattener));
        _options = options;
        _style = style;
        _platforms = [.. options.EffectivePlatforms.Select(Platform.Parse)];
        _publishedRoot = publishedRoot ?? string.Empty;
        _observers = [.. observers ?? []];
        _metrics = metrics ?? throw new ArgumentNullException(nameof(metrics));
        _logger = logger ?? throw new ArgumentNullException(nameof(logger));
        _time = time ?? TimeProvider.System;
    }

    /// <summary>Where a tag path is seen by users: the repository's root (<c>/cvmfs/&lt;repo&gt;</c> or the directory) joined with it.</summary>
    internal string PublishedPath(string tagPath) => _publishedRoot.Length == 0 ? tagPath : _publishedRoot.TrimEnd('/') + "/" + tagPath;

    /// <summary>Runs one pass over <paramref name="list"/>, limited to <paramref name="scope"/>.</summary>
    public async Task<SyncReport> RunAsync(ImageList list, SyncScope scope, IProgress<ImageProgress>? progress, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(list);
        ArgumentNullException.ThrowIfNull(scope);
        var started = _time.GetUtcNow();
        var clock = Stopwatch.StartNew();
        var run = new SyncRun(list, progress);
        var unreachable = new UnreachableRegistries();
        LogSyncStarting(_logger, list.Source, scope.Name, list.Entries.Count);

        var (conflicts, protection, targets, published, settled) = await PlanPassAsync(list, scope, run, unreachable, manifestsOnly: false, ct).ConfigureAwait(false);

        var changes = new ChangeSet(published, _time);
        foreach (var decision in settled)
        {
            switch (decision)
            {
                case KeepDecision keep:
                    run.Add(Result(keep.Target, ImageOutcome.Current, null) with { ManifestDigest = published.Images[keep.ConfigDigest].ManifestDigest });
                    run.Report(keep.Target, ImageStage.Current);
                    break;
                case ReuseDecision reuse:
                    changes.Reuse(reuse);
                    break;
                case AdoptDecision adopt:
                    changes.Adopt(adopt);
                    break;
                case FailDecision fail:
                    Fail(run, fail.Target, fail.Reason);
                    break;
                case PullDecision:
                    break;
                default:
                    throw new UnreachableException($"unexpected decision {decision.GetType().Name}");
            }
        }

        // 7. Removals, decided now: a pass that would remove too much of the repository stops before it changes anything.
        var removals = SyncPlanner.Removals(published, targets, protection.Covers, allowRemovals: list.Problems.Count == 0);
        if (!_options.AllowMassRemoval && SyncPlanner.IsMassRemoval(removals.Count, published.Tags.Count, _options.MaxRemovalPercent))
        {
            LogMassRemovalRefused(_logger, list.Source, removals.Count, published.Tags.Count, _options.MaxRemovalPercent);
            throw new MassRemovalException(list.Source, removals, published.Tags.Count, _options.MaxRemovalPercent);
        }

        await MeasureAdoptionsAsync(changes, ct).ConfigureAwait(false);

        // 8. New images: pull and flatten with bounded concurrency, published in batches as they are staged.
        var pulls = settled.OfType<PullDecision>().GroupBy(p => p.ConfigDigest, StringComparer.Ordinal).ToList();
        await PullAndPublishAsync(pulls, changes, run, ct).ConfigureAwait(false);

        // 9. Tags onto existing images, metadata updates and removals: one last batch.
        if (list.Problems.Count > 0 && published.Tags.Keys.Any(p => !targets.Any(t => t.TagPath == p) && !protection.Covers(p)))
        {
            run.Warn($"the list has {list.Problems.Count} malformed line(s): unlisted paths are kept until it is fixed");
        }

        await ApplyFinalAsync(changes, removals, published, run, ct).ConfigureAwait(false);

        var report = new SyncReport(list.Source, run.Results, [.. list.Problems.Concat(conflicts).OrderBy(p => p.LineNumber)], run.Warnings, started, clock.Elapsed);
        int current = report.Count(ImageOutcome.Current), added = report.Count(ImageOutcome.Published), updated = report.Count(ImageOutcome.Updated);
        int removed = report.Count(ImageOutcome.Removed), failed = report.Count(ImageOutcome.Failed);
        LogSyncFinished(_logger, list.Source, current, added, updated, removed, failed, report.Duration.TotalSeconds);

        return report;
    }

    /// <summary>
    /// Steps 1-6 of a pass: list checks, scope, globs, targets, the published state, resolutions and decisions.
    /// With <paramref name="manifestsOnly"/> no blob is read (a dry run): a pull's image then has no config bytes.
    /// </summary>
    private async Task<PassPlan> PlanPassAsync(ImageList list, SyncScope scope, SyncRun run, UnreachableRegistries unreachable, bool manifestsOnly, CancellationToken ct)
    {
        // 1. Cross-line checks: the later of two conflicting lines is refused; the earlier keeps the path.
        var conflicts = ListChecks.FindConflicts(list.Entries, _style);
        var refusedLines = conflicts.Select(c => c.LineNumber).ToHashSet();
        foreach (var problem in list.Problems.Concat(conflicts))
        {
            LogListProblem(_logger, list.Source, problem.LineNumber, problem.Message);
        }

        // 2. Scope, and protection for what this pass must not remove.
        var protection = new PathProtection();
        var inScope = new List<ListEntry>();
        foreach (var entry in list.Entries)
        {
            if (refusedLines.Contains(entry.LineNumber))
            {
                continue;
            }

            if (scope.Includes(entry))
            {
                inScope.Add(entry);
            }
            else
            {
                Protect(protection, entry);
            }
        }

        // 3. Globs, expanded from each registry's full tag list.
        var concrete = await ExpandAsync(inScope, run, protection, unreachable, ct).ConfigureAwait(false);

        // 4. Targets: one per reference and platform, each with its path; colliding ones refused.
        var (targets, refused) = TargetBuilder.Build(concrete, _platforms, _style);
        foreach (var failure in refused)
        {
            Fail(run, failure.Target, failure.Reason);
        }

        // 5. What is published now, and what each reference names now.
        var published = await _repository.ReadStateAsync(ct).ConfigureAwait(false);
        if (published.UnreadableDirectories.Count > 0)
        {
            var shown = string.Join(", ", published.UnreadableDirectories.Take(3)) + (published.UnreadableDirectories.Count > 3 ? ", ..." : string.Empty);
            run.Warn($"skipped {published.UnreadableDirectories.Count} director{(published.UnreadableDirectories.Count == 1 ? "y" : "ies")} of the repository this service cannot read ({shown}): left alone, tags below them are not seen");
        }

        var resolutions = await ResolveAsync(targets, run, unreachable, ct).ConfigureAwait(false);

        // 6. The plan; manifests only for what the top digests do not settle.
        var decisions = SyncPlanner.Plan(targets, resolutions, published);
        var settled = await CompleteAsync(decisions, published, unreachable, manifestsOnly, ct).ConfigureAwait(false);
        return new PassPlan(conflicts, protection, targets, published, settled);
    }

    private void Protect(PathProtection protection, ListEntry entry)
    {
        if (entry.IsGlob)
        {
            protection.Add(TargetBuilder.GlobCovers(entry, _style));
            return;
        }

        Protect(protection, entry.Reference);
    }

    private static string Suffix(Platform p) => RepositoryLayout.PlatformSuffix(p.Os, p.Architecture, p.Variant);

    private async Task<List<(ListEntry Entry, ImageReference Reference)>> ExpandAsync(
        List<ListEntry> entries, SyncRun run, PathProtection protection, UnreachableRegistries unreachable, CancellationToken ct)
    {
        var globs = entries.Where(e => e.IsGlob).ToList();
        var expansions = new Dictionary<ListEntry, IReadOnlyList<ImageReference>>();
        var gate = new Lock();
        await Parallel.ForEachAsync(
            globs,
            new ParallelOptions { MaxDegreeOfParallelism = _options.MaxConcurrentResolves, CancellationToken = ct },
            async (glob, token) =>
            {
                run.Report(glob.Text, null, ImageStage.Resolving, "listing tags");
                try
                {
                    var tags = await unreachable.CallAsync(
                        glob.Reference.Registry, glob.LineNumber, () => _registry.ListTagsAsync(glob.Repository, token), LogUnreachable).ConfigureAwait(false);
                    var (selected, matched) = SelectTags(glob, tags, run, protection, gate);
                    if (matched == 0)
                    {
                        run.Warn($"line {glob.LineNumber}: '{glob.Text}' matches no tag of {glob.Repository}");
                    }

                    lock (gate)
                    {
                        expansions[glob] = selected;
                    }
                }
                catch (Exception ex) when (!token.IsCancellationRequested)
                {
                    lock (gate)
                    {
                        protection.Add(TargetBuilder.GlobCovers(glob, _style));
                    }

                    Fail(run, glob, glob.Text, tagPath: null, platform: null, "cannot list tags: " + Reason(ex), ex);
                }
            }).ConfigureAwait(false);

        var concrete = new List<(ListEntry, ImageReference)>();
        foreach (var entry in entries)
        {
            if (!entry.IsGlob)
            {
                concrete.Add((entry, entry.Reference));
            }
            else if (expansions.TryGetValue(entry, out var tags))
            {
                concrete.AddRange(tags.Select(reference => (entry, reference)));
            }
        }

        return concrete;
    }

    private async Task<Dictionary<ImageReference, ResolveOutcome>> ResolveAsync(
        IReadOnlyList<SyncTarget> targets, SyncRun run, UnreachableRegistries unreachable, CancellationToken ct)
    {
        var outcomes = new Dictionary<ImageReference, ResolveOutcome>();
        var toAsk = new List<SyncTarget>();
        foreach (var target in targets)
        {
            if (outcomes.ContainsKey(target.Reference))
            {
                continue;
            }

            if (target.Reference.Digest is { } pinned)
            {
                // A digest pin names itself: no request at all.
                outcomes[target.Reference] = ResolveOutcome.Resolved(pinned);
            }
            else
            {
                outcomes[target.Reference] = ResolveOutcome.Failed("not resolved");
                toAsk.Add(target);
            }
        }

        var gate = new Lock();
        await Parallel.ForEachAsync(
            toAsk,
            new ParallelOptions { MaxDegreeOfParallelism = _options.MaxConcurrentResolves, CancellationToken = ct },
            async (target, token) =>
            {
                run.Report(target, ImageStage.Resolving);
                ResolveOutcome outcome;
                try
                {
                    var digest = await unreachable.CallAsync(
                        target.Reference.Registry, target.Entry.LineNumber, () => _registry.ResolveDigestAsync(target.Reference, token), LogUnreachable).ConfigureAwait(false);
                    outcome = ResolveOutcome.Resolved(digest);
                }
                catch (Exception ex) when (!token.IsCancellationRequested)
                {
                    outcome = ResolveOutcome.Failed(Reason(ex));
                    LogResolveFailed(_logger, ex, target.ReferenceText, target.Entry.LineNumber, outcome.Error!);
                }

                lock (gate)
                {
                    outcomes[target.Reference] = outcome;
                }
            }).ConfigureAwait(false);
        return outcomes;
    }

    private async Task<List<TargetDecision>> CompleteAsync(
        IReadOnlyList<TargetDecision> decisions, PublishedState published, UnreachableRegistries unreachable, bool manifestsOnly, CancellationToken ct)
    {
        var settled = decisions.ToArray();
        var fetches = settled.Select((d, i) => (Decision: d as FetchManifestDecision, Index: i)).Where(x => x.Decision is not null).ToList();
        await Parallel.ForEachAsync(
            fetches,
            new ParallelOptions { MaxDegreeOfParallelism = _options.MaxConcurrentResolves, CancellationToken = ct },
            async (item, token) =>
            {
                var fetch = item.Decision!;
                TargetDecision decided;
                try
                {
                    // By digest: the tag may move between the HEAD and now; what was resolved is what is published.
                    decided = await TryWithoutBlobsAsync(fetch, published, unreachable, manifestsOnly, token).ConfigureAwait(false)
                        ?? SyncPlanner.Complete(fetch, await unreachable.CallAsync(
                            fetch.Target.Reference.Registry,
                            fetch.Target.Entry.LineNumber,
                            () => _registry.ResolveImageAsync(fetch.Target.Reference.WithDigest(fetch.TopDigest), fetch.Target.Platform, token),
                            LogUnreachable).ConfigureAwait(false), published);
                }
                catch (Exception ex) when (!token.IsCancellationRequested)
                {
                    decided = new FailDecision(fetch.Target, Reason(ex));
                    LogResolveFailed(_logger, ex, fetch.Target.ReferenceText, fetch.Target.Entry.LineNumber, Reason(ex));
                }

                settled[item.Index] = decided;
            }).ConfigureAwait(false);
        return [.. settled];
    }

    private void LogUnreachable(RegistryUnreachableException down) => LogRegistryUnreachable(_logger, down.Registry, down.LineNumber, down.FirstFailure);

    private static ImageResult Result(SyncTarget target, ImageOutcome outcome, string? detail) =>
        new(target.Entry.LineNumber, target.ReferenceText, target.TagPath.Length == 0 ? null : target.TagPath, target.PlatformText, outcome, detail);

    private void Fail(SyncRun run, SyncTarget target, string reason, Exception? error = null, long bytesPulled = 0) =>
        Fail(run, target.Entry, target.ReferenceText, target.TagPath.Length == 0 ? null : target.TagPath, target.PlatformText, reason, error, bytesPulled);

    /// <summary>Records one failure: logged, in the results, on the progress display, and announced to the observers at the end of the pass.</summary>
    private void Fail(SyncRun run, ListEntry entry, string reference, string? tagPath, string? platform, string reason, Exception? error = null, long bytesPulled = 0)
    {
        LogImageFailed(_logger, error, reference, entry.LineNumber, reason);
        run.Add(new ImageResult(entry.LineNumber, reference, tagPath, platform, ImageOutcome.Failed, reason) { BytesPulled = bytesPulled });
        run.Report(reference, tagPath, ImageStage.Failed, reason);
        run.AddFailure(entry, reference, reason);
    }

    /// <summary>A one-line cause fit for a summary and a PR comment: the exception's message and its first inner cause.</summary>
    internal static string Reason(Exception ex)
    {
        var message = ex.Message;
        if (ex.InnerException is { } inner && !message.Contains(inner.Message, StringComparison.Ordinal))
        {
            message += " (" + inner.Message + ")";
        }

        return message.ReplaceLineEndings(" ");
    }
}
