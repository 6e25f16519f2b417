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
            return new GcResult(true, plan.Due, [.. plan.ToMark.Select(m => m.ConfigDigest), .. plan.ForeignToMark], plan.Waiting, []);
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
            var foreign = UpdateForeignClocks(snapshot, plan.ForeignToMark, now);
            if (plan.ToMark.Count > 0 || plan.ToClear.Count > 0 || foreign.Clock || foreign.MissingLinks)
            {
                var session = backend.Begin(TestHook);
                await using (session.ConfigureAwait(false))
                {
                    await WriteForeignClocksAsync(session, snapshot, foreign, ct).ConfigureAwait(false);
                    marked.AddRange(plan.ForeignToMark);

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

                    await session.CommitAsync($"cvmfs-images: garbage collection marked {PublishMessage.Count(plan.ToMark.Count + plan.ForeignToMark.Count, "image", "images")} unreferenced, cleared {plan.ToClear.Count}", ct).ConfigureAwait(false);
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
        if (snapshot.LinkedElsewhere.Count > 0)
        {
            LogLinkedElsewhere(snapshot.LinkedElsewhere.Count, snapshot.LinkedElsewhere.Values.Order(StringComparer.Ordinal).First(), mountPath);
        }

        var all = snapshot.ImageDirectories.Union(snapshot.Metadata.Keys).Except(snapshot.UnreadableMetadata).Order(StringComparer.Ordinal);
        foreach (var digest in all)
        {
            snapshot.Metadata.TryGetValue(digest, out var metadata);
            if (!snapshot.IsReferenced(digest) && snapshot.LinkedElsewhere.ContainsKey(digest))
            {
                continue; // an absolute link through another mount path names it: kept (LogLinkedElsewhere says why)
            }

            if (snapshot.IsReferenced(digest))
            {
                if (metadata?.UnreferencedSince is not null)
                {
                    plan.ToClear.Add(metadata);
                }

                continue;
            }

            if (!snapshot.ImageDirectories.Contains(digest))
            {
                // Metadata of an image that is gone: nothing to protect.
                plan.Due.Add(digest);
            }
            else if (metadata is null)
            {
                // A directory with no metadata of ours: OSG's image (or one of ours never completed; the two look
                // alike). Nothing is deleted because it is not understood: it waits out the full grace period, counted
                // from OSG's .missing_links.json or from when this publisher first saw it unreferenced.
                if (snapshot.ForeignSince(digest) is not { } foreignSince)
                {
                    if (!snapshot.ForeignClockUnreadable)
                    {
                        plan.ForeignToMark.Add(digest);
                    }

                    plan.Waiting.Add(digest);
                }
                else if (now - foreignSince >= options.GcGracePeriod)
                {
                    plan.Due.Add(digest);
                }
                else
                {
                    plan.Waiting.Add(digest);
                }
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
        var clocks = new Dictionary<string, DateTimeOffset?>(StringComparer.Ordinal);
        var session = backend.Begin(TestHook);
        await using (session.ConfigureAwait(false))
        {
            // Images first (an ingest session removes them before its transaction opens), then their metadata.
            foreach (var digest in chunk)
            {
                snapshot.Metadata.TryGetValue(digest, out var metadata);
                var stillDue = !snapshot.IsReferenced(digest) && !snapshot.LinkedElsewhere.ContainsKey(digest) &&
                               (!snapshot.ImageDirectories.Contains(digest) || ForeignDue(snapshot, digest, now) ||
                                (metadata?.UnreferencedSince is { } since && now - since >= options.GcGracePeriod));
                if (!stillDue)
                {
                    continue; // referenced again (or re-marked) since the plan: keep it
                }

                try
                {
                    clocks[digest] = metadata?.UnreferencedSince ?? snapshot.ForeignSince(digest);
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
                    snapshot.ImageDirectories.Remove(digest);
                    snapshot.Metadata.Remove(digest);
                }

                // The removed foreign images leave OSG's file and ours in the same transaction.
                await WriteForeignClocksAsync(session, snapshot, UpdateForeignClocks(snapshot, [], now), ct).ConfigureAwait(false);

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
                removed.Add(digest);
                var unreferencedSince = clocks.GetValueOrDefault(digest);
                LogImageRemoved(digest, unreferencedSince);
            }
        }
    }

    private sealed class GcPlan
    {
        public List<string> Due { get; } = [];

        public List<ImageMetadata> ToMark { get; } = [];

        public List<ImageMetadata> ToClear { get; } = [];

        /// <summary>Foreign images seen unreferenced for the first time: their clock starts now.</summary>
        public List<string> ForeignToMark { get; } = [];

        public List<string> Waiting { get; } = [];
    }
}
