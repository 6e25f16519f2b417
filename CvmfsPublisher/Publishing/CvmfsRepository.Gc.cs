namespace CvmfsImages.Publisher.Publishing;

public sealed partial class CvmfsRepository
{
    /// <summary>
    /// Garbage collection. An image no tag refers to gets <see cref="ImageMetadata.UnreferencedSince"/> recorded in
    /// its metadata (in the repository, so restarts keep the clock); once <see cref="PublisherOptions.GcGracePeriod"/>
    /// has passed since then, it is removed, at most <see cref="PublisherOptions.GcBatchSize"/> per transaction.
    /// An image referenced again has its mark cleared. Each removal re-checks the tags under the lock; one failed
    /// removal is reported and the others still go. A dry run changes nothing and lists what would go.
    /// </summary>
    public async Task<GcResult> CollectGarbageAsync(bool dryRun, CancellationToken ct)
    {
        RequireTree();
        var now = time.GetUtcNow();
        if (dryRun)
        {
            var view = await Task.Run(() => ReadSnapshot(ct), ct).ConfigureAwait(false);
            var plan = Plan(view, now);
            return new GcResult(true, plan.Due, plan.ToMark.Select(m => m.ConfigDigest).ToList(), plan.Waiting, []);
        }

        List<string> due;
        var marked = new List<string>();
        List<string> waiting;
        using (await LockAsync(ct).ConfigureAwait(false))
        {
            await RecoverTransactionAsync(ct).ConfigureAwait(false);
            var snapshot = await Task.Run(() => ReadSnapshot(ct), ct).ConfigureAwait(false);
            var plan = Plan(snapshot, now);
            due = plan.Due;
            waiting = plan.Waiting;
            if (plan.ToMark.Count > 0 || plan.ToClear.Count > 0)
            {
                var session = backend.Begin(TestHook);
                await using (session.ConfigureAwait(false))
                {
                    foreach (var metadata in plan.ToMark)
                    {
                        await WriteMetadataAsync(session, snapshot, metadata with { UnreferencedSince = now }, ct).ConfigureAwait(false);
                        marked.Add(metadata.ConfigDigest);
                        LogMarkedUnreferenced(metadata.ConfigDigest, now);
                    }

                    foreach (var metadata in plan.ToClear)
                    {
                        await WriteMetadataAsync(session, snapshot, metadata with { UnreferencedSince = null }, ct).ConfigureAwait(false);
                        LogReferencedAgain(metadata.ConfigDigest);
                    }

                    await session.CommitAsync($"cvmfs-images: garbage collection marked {PublishMessage.Count(plan.ToMark.Count, "image", "images")} unreferenced, cleared {plan.ToClear.Count}", ct).ConfigureAwait(false);
                }
            }
        }

        var removed = new List<string>();
        var failed = new List<(string, Exception)>();
        foreach (var chunk in due.Chunk(options.GcBatchSize))
        {
            await RemoveBatchAsync(chunk, now, removed, failed, ct).ConfigureAwait(false);
        }

        return new GcResult(false, removed, marked, waiting, failed);
    }

    private GcPlan Plan(RepositorySnapshot snapshot, DateTimeOffset now)
    {
        var plan = new GcPlan();
        var all = snapshot.ImageDirectories.Union(snapshot.Metadata.Keys).Except(snapshot.UnreadableMetadata).Order(StringComparer.Ordinal);
        foreach (var digest in all)
        {
            snapshot.Metadata.TryGetValue(digest, out var metadata);
            if (snapshot.IsReferenced(digest))
            {
                if (metadata?.UnreferencedSince is not null)
                {
                    plan.ToClear.Add(metadata);
                }

                continue;
            }

            if (!snapshot.ImageDirectories.Contains(digest) || metadata is null)
            {
                // Metadata of an image that is gone, or a directory never completed (an interrupted ingest or copy):
                // no tag ever pointed at either, so there is nothing to protect.
                plan.Due.Add(digest);
            }
            else if (metadata.UnreferencedSince is not { } since)
            {
                plan.ToMark.Add(metadata);
            }
            else if (now - since >= options.GcGracePeriod)
            {
                plan.Due.Add(digest);
            }
            else
            {
                plan.Waiting.Add(digest);
            }
        }

        return plan;
    }

    private async Task RemoveBatchAsync(string[] chunk, DateTimeOffset now, List<string> removed, List<(string, Exception)> failed, CancellationToken ct)
    {
        using var held = await LockAsync(ct).ConfigureAwait(false);
        await RecoverTransactionAsync(ct).ConfigureAwait(false);
        var snapshot = await Task.Run(() => ReadSnapshot(ct), ct).ConfigureAwait(false);
        var gone = new List<string>();
        var session = backend.Begin(TestHook);
        await using (session.ConfigureAwait(false))
        {
            // Images first (an ingest session removes them before its transaction opens), then their metadata.
            foreach (var digest in chunk)
            {
                snapshot.Metadata.TryGetValue(digest, out var metadata);
                var stillDue = !snapshot.IsReferenced(digest) &&
                               (!snapshot.ImageDirectories.Contains(digest) || metadata is null ||
                                (metadata?.UnreferencedSince is { } since && now - since >= options.GcGracePeriod));
                if (!stillDue)
                {
                    continue; // referenced again (or re-marked) since the plan: keep it
                }

                try
                {
                    await session.RemoveImageAsync(digest, ct).ConfigureAwait(false);
                    gone.Add(digest);
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidOperationException)
                {
                    failed.Add((digest, e));
                    LogImageRemoveFailed(digest, e);
                }
            }

            try
            {
                foreach (var digest in gone)
                {
                    await session.DeleteFileAsync(RepositoryLayout.MetadataFile(digest), ct).ConfigureAwait(false);
                }

                await session.CommitAsync($"cvmfs-images: garbage collection removed {PublishMessage.Count(gone.Count, "image", "images")}", ct).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
            {
                await AbortAsync(session, gone.Count, e).ConfigureAwait(false);
                failed.AddRange(gone.Select(d => (d, (Exception)new TransactionAbortedException($"not removed: {e.Message}", e))));
                return;
            }

            foreach (var digest in gone)
            {
                snapshot.Metadata.TryGetValue(digest, out var metadata);
                removed.Add(digest);
                LogImageRemoved(digest, metadata?.UnreferencedSince);
            }
        }
    }

    private sealed class GcPlan
    {
        public List<string> Due { get; } = [];

        public List<ImageMetadata> ToMark { get; } = [];

        public List<ImageMetadata> ToClear { get; } = [];

        public List<string> Waiting { get; } = [];
    }
}
