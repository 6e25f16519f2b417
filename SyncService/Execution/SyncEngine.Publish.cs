using CvmfsImages.Publisher.Flattening;
using CvmfsImages.Publisher.Publishing;
using CvmfsImages.Sync.Lists;
using CvmfsImages.Sync.Planning;
using Microsoft.Extensions.Logging;

namespace CvmfsImages.Sync.Execution;

internal sealed partial class SyncEngine
{
    /// <summary>Pulls and flattens each new image (bounded), handing staged images to the publisher in batches.</summary>
    private async Task PullAndPublishAsync(List<IGrouping<string, PullDecision>> pulls, ChangeSet changes, SyncRun run, CancellationToken ct)
    {
        var batch = new List<StagedImage>();
        var gate = new Lock();
        using var publishing = new SemaphoreSlim(1, 1);
        try
        {
            await Parallel.ForEachAsync(
                pulls,
                new ParallelOptions { MaxDegreeOfParallelism = _options.MaxConcurrentPulls, CancellationToken = ct },
                async (group, token) =>
                {
                    var staged = await PullAsync([.. group], changes, run, token).ConfigureAwait(false);
                    if (staged is null)
                    {
                        return;
                    }

                    List<StagedImage>? full = null;
                    lock (gate)
                    {
                        batch.Add(staged);
                        if (batch.Count >= _options.PublishBatchSize)
                        {
                            full = [.. batch];
                            batch.Clear();
                        }
                    }

                    if (full is not null)
                    {
                        await PublishBatchAsync(full, publishing, run, token).ConfigureAwait(false);
                    }
                }).ConfigureAwait(false);

            List<StagedImage> rest;
            lock (gate)
            {
                rest = [.. batch];
                batch.Clear();
            }

            if (rest.Count > 0)
            {
                await PublishBatchAsync(rest, publishing, run, ct).ConfigureAwait(false);
            }
        }
        finally
        {
            // Staged trees never handed to the publisher (cancelled, or a batch never filled) are removed here.
            lock (gate)
            {
                foreach (var orphan in batch)
                {
                    DeleteTree(orphan.Path);
                }
            }
        }
    }

    private async Task<StagedImage?> PullAsync(IReadOnlyList<PullDecision> group, ChangeSet changes, SyncRun run, CancellationToken ct)
    {
        var first = group[0];
        var image = first.Image;
        long pulled = 0;
        foreach (var pull in group)
        {
            run.Report(pull.Target, ImageStage.Pulling, SizeText.Format(image.CompressedSize));
        }

        string? staging = null;
        try
        {
            var (config, layers) = ImageLayers.For(_registry, image, n =>
            {
                Interlocked.Add(ref pulled, n);
                _metrics.AddBytesPulled(n);
            });

            staging = _repository.CreateStagingPath(first.ConfigDigest);
            LogPulling(_logger, first.Target.ReferenceText, first.ConfigDigest, image.Layers.Count, image.CompressedSize);
            foreach (var pull in group)
            {
                run.Report(pull.Target, ImageStage.Flattening);
            }

            var flattened = await _flattener.FlattenAsync(layers, config, staging, new FlattenOptions(), ct).ConfigureAwait(false);
            Interlocked.Add(ref pulled, image.ConfigBytes.Length);
            return new StagedImage(group, staging, changes.NewImage(group, staging, flattened), Interlocked.Read(ref pulled));
        }
        catch (Exception ex) when (!ct.IsCancellationRequested)
        {
            if (staging is not null)
            {
                DeleteTree(staging);
            }

            var reason = Reason(ex);
            foreach (var pull in group)
            {
                Fail(run, pull.Target, reason, ex, pull == first ? Interlocked.Read(ref pulled) : 0);
            }

            return null;
        }
        catch
        {
            if (staging is not null)
            {
                DeleteTree(staging);
            }

            throw;
        }
    }

    private async Task PublishBatchAsync(List<StagedImage> batch, SemaphoreSlim publishing, SyncRun run, CancellationToken ct)
    {
        await publishing.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            foreach (var staged in batch)
            {
                foreach (var pull in staged.Pulls)
                {
                    run.Report(pull.Target, ImageStage.Publishing);
                }
            }

            var changes = batch.SelectMany(s => s.Changes.All).ToList();
            LogPublishing(_logger, changes.Count, batch.Count);
            var outcomes = (await _repository.ApplyAsync(changes, null, ct).ConfigureAwait(false)).Outcomes;
            var next = 0;
            foreach (var staged in batch)
            {
                // The outcomes are in the order of the changes: this image's, then one per pull (NewImageChanges).
                var imageError = outcomes[next++].Error;
                for (var i = 0; i < staged.Pulls.Count; i++)
                {
                    var pull = staged.Pulls[i];
                    var error = imageError ?? outcomes[next++].Error;
                    var bytes = i == 0 ? staged.BytesPulled : 0;
                    if (error is not null)
                    {
                        Fail(run, pull.Target, "publishing failed: " + Reason(error), error, bytes);
                        continue;
                    }

                    var manifest = pull.Image.ManifestDigest.ToString();
                    LogImagePublished(_logger, pull.Target.ReferenceText, pull.Target.TagPath, pull.ConfigDigest);
                    run.Add(Result(pull.Target, ImageOutcome.Published, null) with { ManifestDigest = manifest, BytesPulled = bytes });
                    run.Report(pull.Target, ImageStage.Published, pull.Target.TagPath);
                    await NotifyPublishedAsync(pull.Target, manifest, pull.Image.CompressedSize, ct).ConfigureAwait(false);
                }
            }
        }
        finally
        {
            publishing.Release();
        }
    }

    private async Task ApplyFinalAsync(ChangeSet changes, IReadOnlyList<string> removals, PublishedState published, SyncRun run, CancellationToken ct)
    {
        var final = changes.Final(removals);
        var all = final.All;
        IReadOnlyList<ChangeOutcome> outcomes = [];
        if (all.Count > 0)
        {
            LogPublishing(_logger, all.Count, 0);
            outcomes = (await _repository.ApplyAsync(all, null, ct).ConfigureAwait(false)).Outcomes;
        }

        // The outcomes are in the order of FinalChanges.All: adoptions, their moves, updates, moves, removals.
        var next = 0;
        var adoptErrors = KeyedErrors(final.Adoptions.Select(a => a.Metadata), outcomes, ref next);
        var adoptMoveErrors = outcomes.Skip(next).Take(final.AdoptMoves.Count).Select(o => o.Error).ToList();
        next += final.AdoptMoves.Count;
        await ReportAdoptionsAsync(changes, adoptErrors, adoptMoveErrors, run, ct).ConfigureAwait(false);

        var updateErrors = KeyedErrors(final.Updates.Select(u => u.Metadata), outcomes, ref next);
        foreach (var (reuse, moves) in changes.Reuses)
        {
            var target = reuse.Target;
            var moveError = moves ? outcomes[next++].Error : null;
            var error = updateErrors.GetValueOrDefault(reuse.ConfigDigest) ?? moveError;
            if (error is not null)
            {
                Fail(run, target, "publishing failed: " + Reason(error));
                continue;
            }

            var manifest = published.Images.GetValueOrDefault(reuse.ConfigDigest)?.ManifestDigest ?? string.Empty;
            run.Add(Result(target, ImageOutcome.Updated, moves ? "now points at an image already published" : "metadata updated") with { ManifestDigest = manifest });
            run.Report(target, ImageStage.Updated);
            if (moves)
            {
                LogImagePublished(_logger, target.ReferenceText, target.TagPath, reuse.ConfigDigest);
                await NotifyPublishedAsync(target, manifest, 0, ct).ConfigureAwait(false);
            }
        }

        foreach (var path in removals)
        {
            var removeFailure = outcomes[next++].Error;
            if (removeFailure is not null)
            {
                var reason = "removing failed: " + Reason(removeFailure);
                LogImageFailed(_logger, removeFailure, path, 0, reason);
                run.Add(new ImageResult(0, path, path, null, ImageOutcome.Failed, reason));
                continue;
            }

            LogTagRemoved(_logger, path);
            run.Add(new ImageResult(0, path, path, null, ImageOutcome.Removed, "no list line names it"));
            run.Report(path, path, ImageStage.Removed);
        }

        foreach (var (entry, reference, reason) in run.Failures)
        {
            await NotifyFailedAsync(entry, reference, reason, ct).ConfigureAwait(false);
        }
    }

    /// <summary>The errors of consecutive metadata changes from <paramref name="next"/> on, by image key; advances it.</summary>
    private static Dictionary<string, Exception> KeyedErrors(IEnumerable<ImageMetadata> metadata, IReadOnlyList<ChangeOutcome> outcomes, ref int next)
    {
        var errors = new Dictionary<string, Exception>(StringComparer.Ordinal);
        foreach (var m in metadata)
        {
            if (outcomes[next++].Error is { } error)
            {
                errors[RepositoryLayout.KeyOf(m)] = error;
            }
        }

        return errors;
    }

    private async Task NotifyPublishedAsync(SyncTarget target, string manifestDigest, long size, CancellationToken ct)
    {
        var notice = new PublishedImageNotice(target.Entry.LineNumber, target.Entry.Text, target.ReferenceText, PublishedPath(target.TagPath), manifestDigest, size);
        foreach (var observer in _observers)
        {
            try
            {
                await observer.OnImagePublishedAsync(notice, ct).ConfigureAwait(false);
            }
            catch (Exception ex) when (!ct.IsCancellationRequested)
            {
                LogObserverFailed(_logger, ex, observer.GetType().Name, target.ReferenceText);
            }
        }
    }

    private async Task NotifyFailedAsync(ListEntry entry, string reference, string reason, CancellationToken ct)
    {
        var notice = new FailedImageNotice(entry.LineNumber, entry.Text, reference, reason);
        foreach (var observer in _observers)
        {
            try
            {
                await observer.OnImageFailedAsync(notice, ct).ConfigureAwait(false);
            }
            catch (Exception ex) when (!ct.IsCancellationRequested)
            {
                LogObserverFailed(_logger, ex, observer.GetType().Name, reference);
            }
        }
    }

    /// <summary>Removes a staged tree the publisher will not consume; a failure is logged (the next start removes it).</summary>
    private void DeleteTree(string path)
    {
        try
        {
            _repository.DiscardStagedTree(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            LogCleanupFailed(_logger, ex, path);
        }
    }

    private sealed record StagedImage(IReadOnlyList<PullDecision> Pulls, string Path, NewImageChanges Changes, long BytesPulled);
}
