using CvmfsImages.Publisher.Native;
namespace CvmfsImages.Publisher.Publishing;

/// <summary>
/// Foreign images: directories under <c>.images/</c> with no metadata of ours, above all those OSG's
/// <c>cvmfs-singularity-sync</c> built (named by its layer hash, tagged by absolute links). They are read as images,
/// never as debris: garbage collection gives each the full grace period counted from OSG's
/// <c>.missing_links.json</c> time or, without one, from when this publisher first saw it unreferenced (recorded in
/// <see cref="ForeignClock.FileName"/>), and keeps <c>.missing_links.json</c> true while it exists. A listed image
/// whose layers match one is adopted in place (<see cref="AdoptImage"/>).
/// </summary>
public sealed partial class CvmfsRepository
{
    private void ReadForeignClocks(RepositorySnapshot snapshot)
    {
        var links = backend.Tree.Full(OsgMissingLinks.FileName);
        try
        {
            if (backend.Tree.ReadFile(OsgMissingLinks.FileName) is { } bytes)
            {
                snapshot.MissingLinks = OsgMissingLinks.Parse(bytes, mountPath, links);
            }
        }
        catch (Exception e) when (e is InvalidDataException or IOException or UnauthorizedAccessException)
        {
            snapshot.MissingLinksUnreadable = true;
            LogMissingLinksUnreadable(links, e);
        }

        var clock = backend.Tree.Full(ForeignClock.FileName);
        try
        {
            if (backend.Tree.ReadFile(ForeignClock.FileName) is { } bytes)
            {
                snapshot.ForeignClock = ForeignClock.Parse(bytes, clock);
            }
        }
        catch (Exception e) when (e is InvalidDataException or IOException or UnauthorizedAccessException)
        {
            snapshot.ForeignClockUnreadable = true;
            LogForeignClockUnreadable(clock, e);
        }
    }

    /// <summary>
    /// A link that is no tag but names one of this repository's image directories under another absolute prefix
    /// (<c>/cvmfs/&lt;repo&gt;/.images/xx/yyyy</c> in a copy whose <c>Publisher:MountPath</c> is not set to it).
    /// </summary>
    private static void NoteLinkedElsewhere(RepositorySnapshot snapshot, string tagPath, string target)
    {
        var at = target.LastIndexOf("/" + RepositoryLayout.ImagesDirectory + "/", StringComparison.Ordinal);
        if (target.StartsWith('/') && at >= 0 && RepositoryLayout.KeyOfDirectory(target[(at + 1)..].TrimEnd('/')) is { } key)
        {
            snapshot.LinkedElsewhere.TryAdd(key, tagPath + " -> " + target);
        }
    }

    /// <summary>Whether the foreign image <paramref name="key"/> is unreferenced and past its grace period.</summary>
    private bool ForeignDue(RepositorySnapshot snapshot, string key, DateTimeOffset now) =>
        snapshot.IsForeign(key) && !snapshot.IsReferenced(key) && snapshot.ForeignSince(key) is { } since && now - since >= options.GcGracePeriod;

    /// <summary>
    /// Brings the two clocks up to date in the snapshot: <paramref name="toMark"/> are first seen unreferenced now;
    /// entries of images that are referenced, gone or ours now are dropped. Returns which files changed.
    /// </summary>
    private (bool Clock, bool MissingLinks) UpdateForeignClocks(RepositorySnapshot snapshot, IEnumerable<string> toMark, DateTimeOffset now)
    {
        var clockChanged = false;
        var linksChanged = false;
        if (!snapshot.ForeignClockUnreadable)
        {
            foreach (var key in toMark)
            {
                clockChanged |= snapshot.ForeignClock.Since.TryAdd(key, now);
                LogForeignUnreferenced(key, now);
            }

            foreach (var key in snapshot.ForeignClock.Since.Keys.Where(k => !snapshot.IsForeign(k) || snapshot.IsReferenced(k)).ToList())
            {
                clockChanged |= snapshot.ForeignClock.Since.Remove(key);
            }
        }

        if (snapshot.MissingLinks is { } links && !snapshot.MissingLinksUnreadable)
        {
            // True while it exists: an entry for each foreign image unreferenced now, none for one linked again or gone.
            linksChanged |= links.Drop(k => snapshot.ImageDirectories.Contains(k) && !snapshot.IsReferenced(k));
            foreach (var key in snapshot.ImageDirectories.Where(k => snapshot.IsForeign(k) && !snapshot.IsReferenced(k)).Order(StringComparer.Ordinal))
            {
                if (snapshot.ForeignSince(key) is { } since)
                {
                    linksChanged |= links.Add(key, since, mountPath);
                }
            }
        }

        return (clockChanged, linksChanged);
    }

    private static async Task WriteForeignClocksAsync(IRepositorySession session, RepositorySnapshot snapshot, (bool Clock, bool MissingLinks) changed, CancellationToken ct)
    {
        if (changed.Clock)
        {
            if (snapshot.ForeignClock.Since.Count == 0)
            {
                await session.DeleteFileAsync(ForeignClock.FileName, ct).ConfigureAwait(false);
            }
            else
            {
                await session.WriteFileAsync(ForeignClock.FileName, snapshot.ForeignClock.Serialize(), ct).ConfigureAwait(false);
            }
        }

        if (changed.MissingLinks && snapshot.MissingLinks is { } links)
        {
            await session.WriteFileAsync(OsgMissingLinks.FileName, links.Serialize(), ct).ConfigureAwait(false);
        }
    }

    /// <summary>Foreign images a tag of this transaction moved away from, now unreferenced: their clock starts now.</summary>
    private async Task MarkForeignUnreferencedAsync(IRepositorySession session, RepositorySnapshot snapshot, HashSet<string> movedAway, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        var toMark = movedAway.Where(k => snapshot.IsForeign(k) && !snapshot.IsReferenced(k) && snapshot.ForeignSince(k) is null).ToList();
        if (toMark.Count > 0 || snapshot.MissingLinks is not null)
        {
            await WriteForeignClocksAsync(session, snapshot, UpdateForeignClocks(snapshot, toMark, now), ct).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Adopts a foreign image in place: its directory stays where it is and gets our metadata (its size and entry
    /// count measured here, without following a link); an unreferenced one keeps its clock. Already adopted for the
    /// same config: only new sources are recorded.
    /// </summary>
    private async Task AdoptAsync(IRepositorySession session, RepositorySnapshot snapshot, AdoptImage adopt, CancellationToken ct)
    {
        var key = RepositoryLayout.KeyOf(adopt.Metadata);
        if (!snapshot.ImageDirectories.Contains(key))
        {
            throw new ImageNotPublishedException(key, tagPath: null);
        }

        if (snapshot.Metadata.TryGetValue(key, out var existing))
        {
            if (existing.ConfigDigest != adopt.Metadata.ConfigDigest)
            {
                throw new InvalidOperationException($"'{RepositoryLayout.ImageDirectory(key)}' is already published as {existing.ConfigDigest}, not {adopt.Metadata.ConfigDigest}");
            }

            var merged = Merge(existing, adopt.Metadata);
            if (merged != existing)
            {
                await WriteMetadataAsync(session, snapshot, merged, ct).ConfigureAwait(false);
            }

            return;
        }

        if (snapshot.UnreadableMetadata.Contains(key))
        {
            throw new InvalidOperationException($"'{RepositoryLayout.MetadataFile(key)}' is there but unreadable; refusing to replace it");
        }

        var (bytes, entries) = adopt.Metadata is { Size: 0, Files: 0 }
            ? await Task.Run(() => MeasureTree(backend.Tree.Full(RepositoryLayout.ImageDirectory(key)), ct), ct).ConfigureAwait(false)
            : (adopt.Metadata.Size, adopt.Metadata.Files);
        var metadata = adopt.Metadata with
        {
            Size = bytes,
            Files = entries,
            PublishedAt = adopt.Metadata.PublishedAt == default ? time.GetUtcNow() : adopt.Metadata.PublishedAt,
            UnreferencedSince = snapshot.IsReferenced(key) ? null : snapshot.ForeignSince(key),
        };
        await WriteMetadataAsync(session, snapshot, metadata, ct).ConfigureAwait(false);
        LogImageAdopted(key, metadata.ConfigDigest, metadata.Platform, bytes, entries);
        if (!snapshot.ForeignClockUnreadable && snapshot.ForeignClock.Since.Remove(key))
        {
            await WriteForeignClocksAsync(session, snapshot, (true, false), ct).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// The size (bytes of regular files) and entry count of an image directory, walked without following a link and
    /// without the lock: for <see cref="AdoptImage"/> metadata measured before its transaction opens, so that the
    /// transaction stays short (a tree of OSG's can hold a million entries).
    /// </summary>
    public Task<(long Bytes, long Entries)> MeasureImageAsync(string imageKey, CancellationToken ct)
    {
        RepositoryLayout.RequireImageKey(imageKey);
        RequireTree();
        var directory = backend.Tree.Full(RepositoryLayout.ImageDirectory(imageKey));
        return Task.Run(() => Libc.LStat(directory) is { IsDirectory: true }
            ? MeasureTree(directory, ct)
            : throw new DirectoryNotFoundException($"'{directory}' is not a directory"), ct);
    }

    /// <summary>Bytes of regular files and entries below <paramref name="root"/>; never follows a link.</summary>
    internal static (long Bytes, long Entries) MeasureTree(string root, CancellationToken ct)
    {
        long bytes = 0;
        long entries = 0;
        var pending = new Stack<string>();
        pending.Push(root);
        while (pending.TryPop(out var directory))
        {
            foreach (var entry in Directory.EnumerateFileSystemEntries(directory))
            {
                ct.ThrowIfCancellationRequested();
                entries++;
                if (Libc.LStat(entry) is not { } status)
                {
                    continue; // vanished while walking
                }

                if (status.IsDirectory)
                {
                    pending.Push(entry);
                }
                else if (status.IsRegularFile)
                {
                    bytes += status.Size;
                }
            }
        }

        return (bytes, entries);
    }
}
