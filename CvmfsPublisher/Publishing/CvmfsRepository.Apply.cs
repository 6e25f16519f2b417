using System.Diagnostics;
using CvmfsImages.Publisher.Native;

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
    /// Progress counts changes whose outcome is final (published, or failed for good). The result has one outcome per
    /// change, in the order given.
    /// </summary>
    public async Task<PublishResult> ApplyAsync(IReadOnlyList<RepositoryChange> changes, IProgress<PublishProgress>? progress, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(changes);
        RequireTree();
        var run = new ApplyRun(this, changes, progress);
        try
        {
            var pending = new LinkedList<List<Attempt>>(Partition(Prevalidate(changes, run)));
            while (pending.First is { } first)
            {
                pending.RemoveFirst();
                List<Attempt> again;
                try
                {
                    again = await RunTransactionAsync(first.Value, run, ct).ConfigureAwait(false);
                }
                catch (RepositoryLockTimeoutException e)
                {
                    // Another publisher kept the repository: nothing of ours was written; every change left fails clearly.
                    foreach (var attempt in first.Value.Concat(pending.SelectMany(b => b)))
                    {
                        run.Fail(attempt, e);
                    }

                    break;
                }

                if (again.Count > 0)
                {
                    pending.AddFirst(again);
                }
            }
        }
        finally
        {
            foreach (var add in changes.OfType<AddImage>())
            {
                DiscardStagedTree(add.StagedTree);
            }
        }

        return run.ToResult();
    }

    private List<Attempt> Prevalidate(IReadOnlyList<RepositoryChange> changes, ApplyRun run)
    {
        var valid = new List<Attempt>();
        for (var i = 0; i < changes.Count; i++)
        {
            var attempt = new Attempt(i, changes[i], Retried: false);
            try
            {
                Validate(attempt.Change);
                valid.Add(attempt);
            }
            catch (ArgumentException e)
            {
                run.Fail(attempt, e);
            }
        }

        // Two different images for one path in one call: neither wins silently.
        var claims = new TagPathClaims<SetTag>((a, b) => a.ConfigDigest == b.ConfigDigest);
        var collisions = new Dictionary<string, TagPathCollisionException>(StringComparer.Ordinal);
        foreach (var setTag in valid.Select(a => a.Change).OfType<SetTag>())
        {
            if (!claims.TryClaim(setTag.TagPath, setTag, out var first) && !collisions.ContainsKey(setTag.TagPath))
            {
                collisions[setTag.TagPath] = new TagPathCollisionException(new TagPathCollision(setTag.TagPath, Describe(first), Describe(setTag)));
            }
        }

        foreach (var attempt in valid.Where(a => a.Change is SetTag s && collisions.ContainsKey(s.TagPath)).ToList())
        {
            valid.Remove(attempt);
            run.Fail(attempt, collisions[((SetTag)attempt.Change).TagPath]);
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

                if (Libc.LStat(full) is not { IsDirectory: true })
                {
                    throw new ArgumentException($"staged tree '{add.StagedTree}' is not a directory (flatten the image there first)", nameof(change));
                }

                break;
            case SetTag setTag:
                RepositoryLayout.ValidateTagPath(setTag.TagPath);
                RepositoryLayout.RequireImageKey(setTag.ConfigDigest);
                break;
            case AdoptImage adopt:
                ValidateMetadata(adopt.Metadata);
                if (adopt.Metadata.AdoptedFrom is null)
                {
                    throw new ArgumentException($"adopting {adopt.Metadata.ConfigDigest} needs AdoptedFrom (the directory to adopt)", nameof(change));
                }

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
        if (metadata.AdoptedFrom is { } adopted && RepositoryLayout.KeyOfDirectory(adopted) is null)
        {
            throw new ArgumentException($"metadata for {metadata.ConfigDigest}: '{RepositoryLayout.Printable(adopted)}' is not an image directory (.images/xx/<62 hex> or .images/sha256:xx/<62 hex>)", nameof(metadata));
        }

        if (metadata.SchemaVersion != 1)
        {
            throw new ArgumentException($"metadata for {metadata.ConfigDigest} has schemaVersion {metadata.SchemaVersion}; this publisher writes 1", nameof(metadata));
        }

        if (metadata.Size < 0 || metadata.Files < 0)
        {
            throw new ArgumentException($"metadata for {metadata.ConfigDigest} has a negative size or file count", nameof(metadata));
        }
    }

    private List<List<Attempt>> Partition(List<Attempt> valid)
    {
        var batches = new List<List<Attempt>>();
        var current = new List<Attempt>();
        int images = 0;
        long bytes = 0;
        foreach (var attempt in valid)
        {
            if (attempt.Change is AdoptImage && images + 1 > options.MaxImagesPerTransaction)
            {
                batches.Add(current);
                current = [];
                images = 0;
                bytes = 0;
            }

            if (attempt.Change is AdoptImage)
            {
                images++;
            }
            else if (attempt.Change is AddImage add)
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

            current.Add(attempt);
        }

        if (current.Count > 0)
        {
            batches.Add(current);
        }

        return batches;
    }

    /// <summary>
    /// Runs one transaction in phases: the images; the metadata of the images added (an ingest session adds no image
    /// once other writes began); tags, removals and metadata updates in the order given; the unreferenced marks; the
    /// commit. Returns the changes to try in the next transaction (cut by time, or retried after another's failure).
    /// </summary>
    private async Task<List<Attempt>> RunTransactionAsync(List<Attempt> batch, ApplyRun run, CancellationToken ct)
    {
        using var held = await LockAsync(ct).ConfigureAwait(false);
        await RecoverTransactionAsync(ct).ConfigureAwait(false);
        var snapshot = await Task.Run(() => ReadSnapshot(ct), ct).ConfigureAwait(false);
        var session = backend.Begin(TestHook);
        await using (session.ConfigureAwait(false))
        {
            var untried = new Queue<Attempt>(batch.Where(a => a.Change is AddImage).Concat(batch.Where(a => a.Change is not AddImage)));
            var tx = new Transaction(session, snapshot, untried, time.GetTimestamp());
            var failure = await ApplyInOrderAsync(tx, untried, a => a.Change is AddImage, ct).ConfigureAwait(false)
                ?? await WriteAddedMetadataAsync(tx, ct).ConfigureAwait(false)
                ?? await ApplyInOrderAsync(tx, untried, _ => true, ct).ConfigureAwait(false);
            if (failure is (var culprit, var error))
            {
                tx.Done.Remove(culprit);
                await AbortAsync(session, tx.Done.Count + 1, error).ConfigureAwait(false);
                run.Fail(culprit, error);
                return RetryOthersOnce(run, culprit, error, [.. tx.Done, .. untried]);
            }

            await CommitAsync(tx, run, ct).ConfigureAwait(false);
            return [.. untried];
        }
    }

    /// <summary>
    /// Applies the changes at the head of <paramref name="untried"/> that belong to this phase, until one fails (returned)
    /// or the transaction has run for <see cref="PublisherOptions.MaxTransactionTime"/> (the rest wait for the next one).
    /// </summary>
    private async Task<(Attempt Culprit, Exception Error)?> ApplyInOrderAsync(Transaction tx, Queue<Attempt> untried, Func<Attempt, bool> inPhase, CancellationToken ct)
    {
        while (!tx.TimeIsUp && untried.TryPeek(out var next) && inPhase(next))
        {
            if (tx.Done.Count > 0 && time.GetElapsedTime(tx.Started) > options.MaxTransactionTime)
            {
                tx.TimeIsUp = true;
                break;
            }

            untried.Dequeue();
            try
            {
                await ApplyOneAsync(tx, next, ct).ConfigureAwait(false);
                tx.Done.Add(next);
            }
            catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
            {
                return (next, e);
            }
        }

        return null;
    }

    /// <summary>The metadata of the images this transaction added or gave new sources; a failure is that image's.</summary>
    private static async Task<(Attempt Culprit, Exception Error)?> WriteAddedMetadataAsync(Transaction tx, CancellationToken ct)
    {
        foreach (var (image, metadata) in tx.AddedMetadata)
        {
            try
            {
                await WriteMetadataAsync(tx.Session, tx.Snapshot, metadata, ct).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
            {
                return (image, e);
            }
        }

        tx.AddedMetadata.Clear();
        return null;
    }

    /// <summary>
    /// The others of an aborted transaction did nothing wrong: each is tried once more, in a fresh transaction without
    /// the culprit; one that was already retried fails, naming the culprit.
    /// </summary>
    private static List<Attempt> RetryOthersOnce(ApplyRun run, Attempt culprit, Exception error, List<Attempt> others)
    {
        var retry = new List<Attempt>();
        foreach (var other in others)
        {
            if (!other.Retried)
            {
                retry.Add(other with { Retried = true });
            }
            else
            {
                run.Fail(other, new TransactionAbortedException($"discarded: the transaction was aborted because {Describe(culprit.Change)} failed: {error.Message}", error));
            }
        }

        return retry;
    }

    /// <summary>Marks what the tags left unreferenced and publishes; when that fails, every change of the transaction fails.</summary>
    private async Task CommitAsync(Transaction tx, ApplyRun run, CancellationToken ct)
    {
        try
        {
            await MarkUnreferencedAsync(tx, ct).ConfigureAwait(false);
            var message = CommitMessage(tx.Done);
            await tx.Session.CommitAsync(message, ct).ConfigureAwait(false);
            LogCommitted(tx.Done.Count, repositoryName, tx.Watch.ElapsedMilliseconds, message);
        }
        catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            await AbortAsync(tx.Session, tx.Done.Count, e).ConfigureAwait(false);
            foreach (var attempt in tx.Done)
            {
                run.Fail(attempt, new TransactionAbortedException($"not published: {e.Message}", e));
            }

            return;
        }

        foreach (var attempt in tx.Done)
        {
            run.Applied(attempt);
        }
    }

    private Task ApplyOneAsync(Transaction tx, Attempt attempt, CancellationToken ct) => attempt.Change switch
    {
        AddImage add => AddImageAsync(tx, attempt, add, ct),
        SetTag setTag => SetTagAsync(tx, setTag, ct),
        RemoveTag removeTag => RemoveTagAsync(tx, removeTag, ct),
        UpdateMetadata update => UpdateMetadataAsync(tx, update, ct),
        AdoptImage adopt => AdoptAsync(tx.Session, tx.Snapshot, adopt, ct),
        _ => throw new UnreachableException($"unvalidated change type {attempt.Change.GetType().Name}"),
    };

    /// <summary>Adds the staged tree unless that image is there already; its metadata is written in the next phase.</summary>
    private async Task AddImageAsync(Transaction tx, Attempt attempt, AddImage add, CancellationToken ct)
    {
        var snapshot = tx.Snapshot;
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
                await tx.Session.RemoveImageAsync(digest, ct).ConfigureAwait(false);
                snapshot.ImageDirectories.Remove(digest);
            }

            PrepareStagedTree(add.StagedTree);
            await tx.Session.AddImageAsync(digest, add.StagedTree, ct).ConfigureAwait(false);
            snapshot.ImageDirectories.Add(digest);
            metadata = Stamp(add.Metadata, time.GetUtcNow()) with { UnreferencedSince = null };
            LogImageAdded(digest, metadata.Platform, metadata.Sources);
        }

        if (existing != metadata)
        {
            // The snapshot has it now, so the tags of this transaction find the image.
            snapshot.Metadata[digest] = metadata;
            tx.AddedMetadata.Add((attempt, metadata));
        }
    }

    private async Task SetTagAsync(Transaction tx, SetTag setTag, CancellationToken ct)
    {
        var snapshot = tx.Snapshot;
        var digest = setTag.ConfigDigest;
        if (!snapshot.ImageDirectories.Contains(digest) || !snapshot.Metadata.TryGetValue(digest, out var metadata))
        {
            throw new ImageNotPublishedException(digest, setTag.TagPath);
        }

        snapshot.Tags.TryGetValue(setTag.TagPath, out var old);
        if (old != digest)
        {
            ExpectTags(tx, setTag);
            await tx.Session.SetSymlinkAsync(setTag.TagPath, RepositoryLayout.LinkTarget(setTag.TagPath, digest, options.TagLinks, mountPath), ct).ConfigureAwait(false);
            snapshot.Tags[setTag.TagPath] = digest;
            LogTagSet(setTag.TagPath, digest);
            if (old is not null)
            {
                tx.MovedAway.Add(old);
            }
        }

        if (metadata.UnreferencedSince is not null)
        {
            await WriteMetadataAsync(tx.Session, snapshot, metadata with { UnreferencedSince = null }, ct).ConfigureAwait(false);
            LogReferencedAgain(digest);
        }
    }

    /// <summary>
    /// Tells the session which links this tag and the next ones waiting in this transaction will set (up to
    /// <see cref="ExpectedTagsAtOnce"/>), unless it was told already: the directory backend journals them with one
    /// flush to disk instead of one per tag. Only tags that will change a link are named (image there, new target).
    /// </summary>
    private static void ExpectTags(Transaction tx, SetTag setTag)
    {
        if (tx.Expected.Contains(setTag.TagPath))
        {
            return;
        }

        var paths = new List<string> { setTag.TagPath };
        tx.Expected.Add(setTag.TagPath);
        foreach (var next in tx.Untried)
        {
            if (paths.Count >= ExpectedTagsAtOnce)
            {
                break;
            }

            if (next.Change is SetTag s && tx.Snapshot.ImageDirectories.Contains(s.ConfigDigest) &&
                (!tx.Snapshot.Tags.TryGetValue(s.TagPath, out var current) || current != s.ConfigDigest) && tx.Expected.Add(s.TagPath))
            {
                paths.Add(s.TagPath);
            }
        }

        tx.Session.ExpectSymlinks(paths);
    }

    private async Task RemoveTagAsync(Transaction tx, RemoveTag removeTag, CancellationToken ct)
    {
        if (tx.Snapshot.Tags.Remove(removeTag.TagPath, out var was))
        {
            await tx.Session.DeleteSymlinkAsync(removeTag.TagPath, ct).ConfigureAwait(false);
            tx.MovedAway.Add(was);
            LogTagRemoved(removeTag.TagPath, was);
        }
    }

    private async Task UpdateMetadataAsync(Transaction tx, UpdateMetadata update, CancellationToken ct)
    {
        var digest = RepositoryLayout.KeyOf(update.Metadata);
        if (!tx.Snapshot.ImageDirectories.Contains(digest))
        {
            throw new ImageNotPublishedException(digest, tagPath: null);
        }

        // The grace-period record belongs to the publisher; a caller's copy may be stale.
        tx.Snapshot.Metadata.TryGetValue(digest, out var existing);
        var metadata = update.Metadata with
        {
            UnreferencedSince = existing?.UnreferencedSince,
            PublishedAt = update.Metadata.PublishedAt == default ? existing?.PublishedAt ?? time.GetUtcNow() : update.Metadata.PublishedAt,
        };
        await WriteMetadataAsync(tx.Session, tx.Snapshot, metadata, ct).ConfigureAwait(false);
    }

    /// <summary>Images a tag moved away from, now referenced by nothing: their grace period starts now.</summary>
    private async Task MarkUnreferencedAsync(Transaction tx, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        foreach (var digest in tx.MovedAway.Order(StringComparer.Ordinal))
        {
            if (!tx.Snapshot.IsReferenced(digest) && tx.Snapshot.Metadata.TryGetValue(digest, out var metadata) && metadata.UnreferencedSince is null)
            {
                await WriteMetadataAsync(tx.Session, tx.Snapshot, metadata with { UnreferencedSince = now }, ct).ConfigureAwait(false);
                LogMarkedUnreferenced(digest, now);
            }
        }

        await MarkForeignUnreferencedAsync(tx.Session, tx.Snapshot, tx.MovedAway, ct).ConfigureAwait(false);
    }

    private static async Task WriteMetadataAsync(IRepositorySession session, RepositorySnapshot snapshot, ImageMetadata metadata, CancellationToken ct)
    {
        var key = RepositoryLayout.KeyOf(metadata);
        await session.WriteFileAsync(RepositoryLayout.MetadataFile(key), MetadataJson.Serialize(metadata), ct).ConfigureAwait(false);
        snapshot.Metadata[key] = metadata;
        snapshot.UnreadableMetadata.Remove(key);
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
        var status = Libc.LStat(marker);
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

    private static string CommitMessage(List<Attempt> done)
    {
        var images = done.Count(a => a.Change is AddImage);
        var tags = done.Count(a => a.Change is SetTag);
        var removed = done.Count(a => a.Change is RemoveTag);
        var adopted = done.Count(a => a.Change is AdoptImage);
        return $"cvmfs-images: added {PublishMessage.Count(images, "image", "images")}, set {PublishMessage.Count(tags, "tag", "tags")}, removed {PublishMessage.Count(removed, "tag", "tags")}"
            + (adopted > 0 ? $", adopted {PublishMessage.Count(adopted, "image", "images")} in place" : string.Empty);
    }

    private static string Describe(RepositoryChange change) => change switch
    {
        AddImage a => $"add image {a.Metadata.ConfigDigest}",
        SetTag s => $"tag '{s.TagPath}' -> {s.ConfigDigest}",
        RemoveTag r => $"remove tag '{r.TagPath}'",
        UpdateMetadata u => $"update metadata of {u.Metadata.ConfigDigest}",
        AdoptImage a => $"adopt {a.Metadata.AdoptedFrom} as {a.Metadata.ConfigDigest}",
        _ => change.GetType().Name,
    };

    /// <summary>How many tags <see cref="ExpectTags"/> names at once: the directory backend's journal is flushed once per that many.</summary>
    private const int ExpectedTagsAtOnce = 1024;

    /// <summary>One input change on its way through the transactions: its place in the input, and whether it was retried.</summary>
    private sealed record Attempt(int Index, RepositoryChange Change, bool Retried);

    /// <summary>
    /// One <see cref="ApplyAsync"/> call: each input change's outcome, set once when it is final, and progress that
    /// counts those outcomes (a change applied in a transaction that is later aborted is not counted until it is final).
    /// </summary>
    private sealed class ApplyRun(CvmfsRepository repository, IReadOnlyList<RepositoryChange> changes, IProgress<PublishProgress>? progress)
    {
        private readonly bool[] finished = new bool[changes.Count];
        private readonly Exception?[] errors = new Exception?[changes.Count];
        private int done;

        public void Applied(Attempt attempt) => Finish(attempt, null, Describe(attempt.Change));

        public void Fail(Attempt attempt, Exception error)
        {
            var change = attempt.Change is null ? "(null)" : Describe(attempt.Change);
            Finish(attempt, error, "failed: " + change);
            repository.LogChangeFailed(change, error);
        }

        /// <summary>One outcome per input change, in input order (a null change reads as a failed "(null)" removal).</summary>
        public PublishResult ToResult()
        {
            var outcomes = new ChangeOutcome[changes.Count];
            for (var i = 0; i < changes.Count; i++)
            {
                if (!finished[i])
                {
                    throw new UnreachableException($"change {i} of {changes.Count} has no outcome");
                }

                outcomes[i] = new ChangeOutcome(changes[i] ?? new RemoveTag("(null)"), errors[i]);
            }

            return new PublishResult(outcomes);
        }

        private void Finish(Attempt attempt, Exception? error, string step)
        {
            Debug.Assert(!finished[attempt.Index], "an outcome is set once");
            finished[attempt.Index] = true;
            errors[attempt.Index] = error;
            done++;
            progress?.Report(new PublishProgress(done, changes.Count, step));
        }
    }

    /// <summary>One transaction: its session, the snapshot it keeps current, what it did, and what later phases take up.</summary>
    private sealed class Transaction(IRepositorySession session, RepositorySnapshot snapshot, Queue<Attempt> untried, long started)
    {
        public IRepositorySession Session { get; } = session;

        public RepositorySnapshot Snapshot { get; } = snapshot;

        /// <summary>The changes not yet tried in this transaction, next first.</summary>
        public Queue<Attempt> Untried { get; } = untried;

        /// <summary>The tag paths the session was told it is about to set (<see cref="ExpectTags"/>).</summary>
        public HashSet<string> Expected { get; } = new(StringComparer.Ordinal);

        public long Started { get; } = started;

        public Stopwatch Watch { get; } = Stopwatch.StartNew();

        /// <summary>Applied in this transaction, in order; published when it commits.</summary>
        public List<Attempt> Done { get; } = [];

        /// <summary>Metadata of the images added (or given new sources), for the phase after the images.</summary>
        public List<(Attempt Image, ImageMetadata Metadata)> AddedMetadata { get; } = [];

        /// <summary>Images a tag moved away from or was removed from: candidates for an unreferenced mark.</summary>
        public HashSet<string> MovedAway { get; } = new(StringComparer.Ordinal);

        /// <summary>Set once <see cref="PublisherOptions.MaxTransactionTime"/> is over: what is left waits for the next one.</summary>
        public bool TimeIsUp { get; set; }
    }
}
