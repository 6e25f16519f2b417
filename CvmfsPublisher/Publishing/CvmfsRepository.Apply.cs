using System.Diagnostics;

namespace CvmfsImages.Publisher.Publishing;

public sealed partial class CvmfsRepository
{
    /// <summary>
    /// Applies the changes in transactions bounded by <see cref="PublisherOptions.MaxImagesPerTransaction"/>,
    /// <see cref="PublisherOptions.MaxBytesPerTransaction"/> and <see cref="PublisherOptions.MaxTransactionTime"/>.
    /// Within a transaction images go first, then tags and metadata in the order given. A change that fails aborts
    /// its transaction; it is reported failed and the others of that transaction are tried once more in a new one.
    /// A failed publish fails every change of its transaction. Invalid changes (bad tag paths, two references on one
    /// path, a tag for an image that is not there) fail alone. Staged trees are consumed whatever the outcome.
    /// </summary>
    public async Task<PublishResult> ApplyAsync(IReadOnlyList<RepositoryChange> changes, IProgress<PublishProgress>? progress, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(changes);
        RequireTree();
        var applied = new List<RepositoryChange>();
        var failed = new List<(RepositoryChange Change, Exception Error)>();
        var counter = new ProgressCounter(changes.Count, progress);
        try
        {
            var valid = Prevalidate(changes, failed, counter);
            var pending = new LinkedList<List<Attempt>>(Partition(valid));
            while (pending.First is { } first)
            {
                pending.RemoveFirst();
                List<Attempt> leftover;
                try
                {
                    leftover = await RunBatchAsync(first.Value, applied, failed, counter, ct).ConfigureAwait(false);
                }
                catch (RepositoryLockTimeoutException e)
                {
                    // Another publisher kept the repository: nothing of ours was written; every change left fails clearly.
                    foreach (var attempt in first.Value.Concat(pending.SelectMany(b => b)))
                    {
                        Fail(attempt.Change, e, failed, counter);
                    }

                    break;
                }

                if (leftover.Count > 0)
                {
                    pending.AddFirst(leftover);
                }
            }
        }
        finally
        {
            foreach (var add in changes.OfType<AddImage>())
            {
                DeleteStagedTree(add.StagedTree);
            }
        }

        return new PublishResult(applied, failed);
    }

    private List<RepositoryChange> Prevalidate(IReadOnlyList<RepositoryChange> changes, List<(RepositoryChange, Exception)> failed, ProgressCounter counter)
    {
        var valid = new List<RepositoryChange>();
        foreach (var change in changes)
        {
            try
            {
                Validate(change);
                valid.Add(change);
            }
            catch (ArgumentException e)
            {
                Fail(change ?? new RemoveTag("(null)"), e, failed, counter);
            }
        }

        // Two different images for one path in one call: neither wins silently.
        var collisions = valid.OfType<SetTag>()
            .GroupBy(s => s.TagPath, StringComparer.Ordinal)
            .Where(g => g.Select(s => s.ConfigDigest).Distinct(StringComparer.Ordinal).Count() > 1)
            .ToList();
        foreach (var group in collisions)
        {
            var first = group.First();
            var second = group.First(s => s.ConfigDigest != first.ConfigDigest);
            var error = new TagPathCollisionException(new TagPathCollision(group.Key, Describe(first), Describe(second)));
            foreach (var setTag in group)
            {
                valid.Remove(setTag);
                Fail(setTag, error, failed, counter);
            }
        }

        return valid;

        static string Describe(SetTag s) => s.Reference ?? $"image {s.ConfigDigest}";
    }

    private void Validate(RepositoryChange change)
    {
        switch (change)
        {
            case AddImage add:
                ValidateMetadata(add.Metadata);
                ArgumentException.ThrowIfNullOrEmpty(add.StagedTree);
                var full = Path.GetFullPath(add.StagedTree);
                if (!string.Equals(Path.GetDirectoryName(full), staging, StringComparison.Ordinal) ||
                    !Path.GetFileName(full).StartsWith(StagePrefix, StringComparison.Ordinal))
                {
                    throw new ArgumentException($"staged tree '{add.StagedTree}' was not made by CreateStagingPath (expected it in '{staging}')", nameof(change));
                }

                if (Native.LStat(full) is not { IsDirectory: true })
                {
                    throw new ArgumentException($"staged tree '{add.StagedTree}' is not a directory (flatten the image there first)", nameof(change));
                }

                break;
            case SetTag setTag:
                RepositoryLayout.ValidateTagPath(setTag.TagPath);
                RepositoryLayout.DigestHex(setTag.ConfigDigest);
                break;
            case RemoveTag removeTag:
                RepositoryLayout.ValidateTagPath(removeTag.TagPath);
                break;
            case UpdateMetadata update:
                ValidateMetadata(update.Metadata);
                break;
            case null:
                throw new ArgumentException("a change is null", nameof(change));
            default:
                throw new ArgumentException($"unknown change type {change.GetType().Name}", nameof(change));
        }
    }

    private static void ValidateMetadata(ImageMetadata metadata)
    {
        ArgumentNullException.ThrowIfNull(metadata);
        RepositoryLayout.DigestHex(metadata.ConfigDigest);
        if (metadata.SchemaVersion != 1)
        {
            throw new ArgumentException($"metadata for {metadata.ConfigDigest} has schemaVersion {metadata.SchemaVersion}; this publisher writes 1", nameof(metadata));
        }

        if (metadata.Size < 0 || metadata.Files < 0)
        {
            throw new ArgumentException($"metadata for {metadata.ConfigDigest} has a negative size or file count", nameof(metadata));
        }
    }

    private List<List<Attempt>> Partition(List<RepositoryChange> valid)
    {
        var batches = new List<List<Attempt>>();
        var current = new List<Attempt>();
        int images = 0;
        long bytes = 0;
        foreach (var change in valid)
        {
            if (change is AddImage add)
            {
                if (images > 0 && (images + 1 > options.MaxImagesPerTransaction || bytes + add.Metadata.Size > options.MaxBytesPerTransaction))
                {
                    batches.Add(current);
                    current = [];
                    images = 0;
                    bytes = 0;
                }

                images++;
                bytes += add.Metadata.Size;
            }

            current.Add(new Attempt(change, 0));
        }

        if (current.Count > 0)
        {
            batches.Add(current);
        }

        return batches;
    }

    /// <summary>Runs one transaction; returns the changes to try again in the next one (cut by time or by another's failure).</summary>
    private async Task<List<Attempt>> RunBatchAsync(
        List<Attempt> batch,
        List<RepositoryChange> applied,
        List<(RepositoryChange, Exception)> failed,
        ProgressCounter counter,
        CancellationToken ct)
    {
        var ordered = batch.Where(a => a.Change is AddImage).Concat(batch.Where(a => a.Change is not AddImage)).ToList();
        using var held = await LockAsync(ct).ConfigureAwait(false);
        await RecoverTransactionAsync(ct).ConfigureAwait(false);
        var snapshot = await Task.Run(() => ReadSnapshot(ct), ct).ConfigureAwait(false);
        var session = backend.Begin(TestHook);
        await using (session.ConfigureAwait(false))
        {
            var started = time.GetTimestamp();
            var watch = Stopwatch.StartNew();
            var done = new List<Attempt>();
            var movedAway = new HashSet<string>(StringComparer.Ordinal);
            var deferred = new List<ImageMetadata>();
            var leftover = new List<Attempt>();
            for (var i = 0; i < ordered.Count; i++)
            {
                if (i > 0 && time.GetElapsedTime(started) > options.MaxTransactionTime)
                {
                    leftover.AddRange(ordered.Skip(i));
                    break;
                }

                var attempt = ordered[i];
                try
                {
                    if (attempt.Change is not AddImage)
                    {
                        await FlushMetadataAsync(session, snapshot, deferred, ct).ConfigureAwait(false);
                    }

                    await ApplyOneAsync(session, snapshot, attempt.Change, movedAway, deferred, ct).ConfigureAwait(false);
                    done.Add(attempt);
                    counter.Step(Describe(attempt.Change));
                }
                catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
                {
                    await AbortAsync(session, done.Count + 1, e).ConfigureAwait(false);
                    Fail(attempt.Change, e, failed, counter);
                    counter.Undo(done.Count);

                    // The others did nothing wrong: once more, in a fresh transaction, without the culprit.
                    var retry = new List<Attempt>();
                    foreach (var other in done.Concat(ordered.Skip(i + 1)))
                    {
                        if (other.Retries == 0)
                        {
                            retry.Add(other with { Retries = 1 });
                        }
                        else
                        {
                            Fail(other.Change, new TransactionAbortedException($"discarded: the transaction was aborted because {Describe(attempt.Change)} failed: {e.Message}", e), failed, counter);
                        }
                    }

                    return retry;
                }
            }

            try
            {
                await FlushMetadataAsync(session, snapshot, deferred, ct).ConfigureAwait(false);
                await MarkUnreferencedAsync(session, snapshot, movedAway, ct).ConfigureAwait(false);
                var message = CommitMessage(done);
                await session.CommitAsync(message, ct).ConfigureAwait(false);
                LogCommitted(done.Count, repositoryName, watch.ElapsedMilliseconds, message);
                applied.AddRange(done.Select(a => a.Change));
            }
            catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
            {
                await AbortAsync(session, done.Count, e).ConfigureAwait(false);
                counter.Undo(done.Count);
                foreach (var attempt in done)
                {
                    Fail(attempt.Change, new TransactionAbortedException($"not published: {e.Message}", e), failed, counter);
                }
            }

            return leftover;
        }
    }

    /// <summary>
    /// Writes the metadata of the images added so far. Added images' metadata waits until the images of the batch are
    /// in (an ingest session can add no image once its transaction is open); the snapshot already has it.
    /// </summary>
    private static async Task FlushMetadataAsync(IRepositorySession session, RepositorySnapshot snapshot, List<ImageMetadata> deferred, CancellationToken ct)
    {
        foreach (var metadata in deferred)
        {
            await WriteMetadataAsync(session, snapshot, metadata, ct).ConfigureAwait(false);
        }

        deferred.Clear();
    }

    private async Task ApplyOneAsync(
        IRepositorySession session, RepositorySnapshot snapshot, RepositoryChange change, HashSet<string> movedAway, List<ImageMetadata> deferred, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        switch (change)
        {
            case AddImage add:
            {
                var digest = add.Metadata.ConfigDigest;
                snapshot.Metadata.TryGetValue(digest, out var existing);
                ImageMetadata metadata;
                if (snapshot.ImageDirectories.Contains(digest) && existing is not null)
                {
                    // Already there (same config digest, same content): record the new sources only.
                    metadata = Merge(existing, add.Metadata);
                }
                else
                {
                    if (snapshot.ImageDirectories.Contains(digest))
                    {
                        // A directory without metadata was never completed (metadata is written after the tree, in
                        // the same transaction or the one after an ingest): it may be partial, so it is replaced.
                        await session.RemoveImageAsync(digest, ct).ConfigureAwait(false);
                        snapshot.ImageDirectories.Remove(digest);
                    }

                    PrepareStagedTree(add.StagedTree);
                    await session.AddImageAsync(digest, add.StagedTree, ct).ConfigureAwait(false);
                    snapshot.ImageDirectories.Add(digest);
                    metadata = Stamp(add.Metadata, now) with { UnreferencedSince = null };
                    LogImageAdded(digest, metadata.Platform, metadata.Sources);
                }

                if (existing != metadata)
                {
                    snapshot.Metadata[digest] = metadata;
                    deferred.Add(metadata);
                }

                break;
            }

            case SetTag setTag:
            {
                var digest = setTag.ConfigDigest;
                if (!snapshot.ImageDirectories.Contains(digest) || !snapshot.Metadata.TryGetValue(digest, out var metadata))
                {
                    throw new ImageNotPublishedException(digest, setTag.TagPath);
                }

                snapshot.Tags.TryGetValue(setTag.TagPath, out var old);
                if (old != digest)
                {
                    await session.SetSymlinkAsync(setTag.TagPath, RepositoryLayout.LinkTarget(setTag.TagPath, digest), ct).ConfigureAwait(false);
                    snapshot.Tags[setTag.TagPath] = digest;
                    LogTagSet(setTag.TagPath, digest);
                    if (old is not null)
                    {
                        movedAway.Add(old);
                    }
                }

                if (metadata.UnreferencedSince is not null)
                {
                    await WriteMetadataAsync(session, snapshot, metadata with { UnreferencedSince = null }, ct).ConfigureAwait(false);
                    LogReferencedAgain(digest);
                }

                break;
            }

            case RemoveTag removeTag:
                if (snapshot.Tags.Remove(removeTag.TagPath, out var was))
                {
                    await session.DeleteSymlinkAsync(removeTag.TagPath, ct).ConfigureAwait(false);
                    movedAway.Add(was);
                    LogTagRemoved(removeTag.TagPath, was);
                }

                break;
            case UpdateMetadata update:
            {
                var digest = update.Metadata.ConfigDigest;
                if (!snapshot.ImageDirectories.Contains(digest))
                {
                    throw new ImageNotPublishedException(digest, tagPath: null);
                }

                // The grace-period record belongs to the publisher; a caller's copy may be stale.
                snapshot.Metadata.TryGetValue(digest, out var existing);
                var metadata = update.Metadata with
                {
                    UnreferencedSince = existing?.UnreferencedSince,
                    PublishedAt = update.Metadata.PublishedAt == default ? existing?.PublishedAt ?? now : update.Metadata.PublishedAt,
                };
                await WriteMetadataAsync(session, snapshot, metadata, ct).ConfigureAwait(false);
                break;
            }
        }
    }

    /// <summary>Images a tag moved away from, now referenced by nothing: their grace period starts now.</summary>
    private async Task MarkUnreferencedAsync(IRepositorySession session, RepositorySnapshot snapshot, HashSet<string> movedAway, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        foreach (var digest in movedAway.Order(StringComparer.Ordinal))
        {
            if (!snapshot.IsReferenced(digest) && snapshot.Metadata.TryGetValue(digest, out var metadata) && metadata.UnreferencedSince is null)
            {
                await WriteMetadataAsync(session, snapshot, metadata with { UnreferencedSince = now }, ct).ConfigureAwait(false);
                LogMarkedUnreferenced(digest, now);
            }
        }
    }

    private static async Task WriteMetadataAsync(IRepositorySession session, RepositorySnapshot snapshot, ImageMetadata metadata, CancellationToken ct)
    {
        await session.WriteFileAsync(RepositoryLayout.MetadataFile(metadata.ConfigDigest), MetadataJson.Serialize(metadata), ct).ConfigureAwait(false);
        snapshot.Metadata[metadata.ConfigDigest] = metadata;
        snapshot.UnreadableMetadata.Remove(metadata.ConfigDigest);
    }

    private static ImageMetadata Stamp(ImageMetadata metadata, DateTimeOffset now) =>
        metadata.PublishedAt == default ? metadata with { PublishedAt = now } : metadata;

    private static ImageMetadata Merge(ImageMetadata existing, ImageMetadata added)
    {
        var sources = existing.Sources.Union(added.Sources, StringComparer.Ordinal).ToList();
        var sourceDigests = existing.SourceDigests.Union(added.SourceDigests, StringComparer.Ordinal).ToList();
        return sources.SequenceEqual(existing.Sources, StringComparer.Ordinal) && sourceDigests.SequenceEqual(existing.SourceDigests, StringComparer.Ordinal)
            ? existing
            : existing with { Sources = sources, SourceDigests = sourceDigests };
    }

    /// <summary>Each image is its own nested catalog; its top directory is readable by everyone (CVMFS clients need it).</summary>
    private static void PrepareStagedTree(string stagedTree)
    {
        var marker = Path.Combine(stagedTree, RepositoryLayout.CatalogMarker);
        var status = Native.LStat(marker);
        if (status is null)
        {
            File.WriteAllBytes(marker, []);
            File.SetUnixFileMode(marker, (UnixFileMode)0x1A4);
        }
        else if (!status.Value.IsRegularFile)
        {
            throw new IOException($"'{marker}' in the staged image is not a regular file");
        }

        File.SetUnixFileMode(stagedTree, (UnixFileMode)0x1ED);
    }

    private async Task AbortAsync(IRepositorySession session, int changes, Exception reason)
    {
        LogAborted(repositoryName, changes, reason);
        try
        {
            await session.AbortAsync(CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or InvalidOperationException or UnauthorizedAccessException)
        {
            // The marker (or journal) stays: the next transaction or start rolls it back.
            LogAbortFailed(repositoryName, e);
        }
    }

    private void Fail(RepositoryChange change, Exception error, List<(RepositoryChange, Exception)> failed, ProgressCounter counter)
    {
        failed.Add((change, error));
        counter.Step("failed: " + Describe(change));
        LogChangeFailed(Describe(change), error);
    }

    private void DeleteStagedTree(string? stagedTree)
    {
        if (string.IsNullOrEmpty(stagedTree))
        {
            return;
        }

        var full = Path.GetFullPath(stagedTree);
        if (string.Equals(Path.GetDirectoryName(full), staging, StringComparison.Ordinal) &&
            Path.GetFileName(full).StartsWith(StagePrefix, StringComparison.Ordinal))
        {
            TreeOperations.DeleteTree(full);
        }
    }

    private static string CommitMessage(List<Attempt> done)
    {
        var images = done.Count(a => a.Change is AddImage);
        var tags = done.Count(a => a.Change is SetTag);
        var removed = done.Count(a => a.Change is RemoveTag);
        return $"cvmfs-images: added {PublishMessage.Count(images, "image", "images")}, set {PublishMessage.Count(tags, "tag", "tags")}, removed {PublishMessage.Count(removed, "tag", "tags")}";
    }

    private static string Describe(RepositoryChange change) => change switch
    {
        AddImage a => $"add image {a.Metadata.ConfigDigest}",
        SetTag s => $"tag '{s.TagPath}' -> {s.ConfigDigest}",
        RemoveTag r => $"remove tag '{r.TagPath}'",
        UpdateMetadata u => $"update metadata of {u.Metadata.ConfigDigest}",
        _ => change.GetType().Name,
    };

    private sealed record Attempt(RepositoryChange Change, int Retries);

    private sealed class ProgressCounter(int total, IProgress<PublishProgress>? progress)
    {
        private int done;

        public void Step(string step)
        {
            done++;
            progress?.Report(new PublishProgress(Math.Min(done, total), total, step));
        }

        public void Undo(int steps) => done -= steps;
    }
}
