using System.Collections.Concurrent;
using System.Globalization;
using CvmfsImages.Publisher.Native;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace CvmfsImages.Publisher.Publishing;

/// <summary>
/// Publishes images into one repository (a plain directory, or a CVMFS repository through <c>cvmfs_server</c>):
/// transactions batched by count, bytes and time, one at a time per repository across processes (flock), atomic tag
/// moves, garbage collection after a grace period recorded in the repository, and recovery after a crash.
/// The repository itself is the source of truth; nothing is cached between calls.
/// </summary>
public sealed partial class CvmfsRepository
{
    private const string StagePrefix = "stage.";
    private readonly PublisherOptions options;
    private readonly ILogger logger;
    private readonly TimeProvider time;
    private readonly IRepositoryBackend backend;
    private readonly string staging;
    private readonly string lockFile;
    private readonly string repositoryName;
    private readonly string mountPath;
    private readonly ConcurrentDictionary<string, byte> reportedUnreadable = new(StringComparer.Ordinal);

    public CvmfsRepository(PublisherOptions options, ILoggerFactory? loggerFactory = null, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        this.options = options;
        logger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger<CvmfsRepository>();
        this.time = time ?? TimeProvider.System;
        staging = Path.GetFullPath(options.EffectiveStagingDirectory);
        lockFile = Path.GetFullPath(options.EffectiveLockFile);
        backend = options.Backend == PublisherBackends.Directory
            ? new DirectoryBackend(options.Root!, staging)
            : new CvmfsServerBackend(options);
        repositoryName = options.RepositoryName ?? options.Root!;
        mountPath = options.EffectiveMountPath;
    }

    /// <summary>
    /// Fault injection at named points of a transaction (<c>image-added</c>, <c>tag-set</c>, <c>transaction-open</c>,
    /// <c>image-streaming</c>, <c>before-commit</c>, <c>after-commit</c>): the crash tests stop or kill a publisher
    /// exactly there to prove recovery; null in production. A hook on purpose: no seam production also uses reaches
    /// these points (the clock is injected already; a <c>cvmfs_server</c> stand-in could pause an ingest, but the
    /// directory backend's transaction runs wholly in this process).
    /// </summary>
    internal Func<string, CancellationToken, Task>? TestHook { get; set; }

    /// <summary>
    /// Aborts a transaction this service left open in a crash (logged) and removes staging directories whose
    /// process is gone. Takes the repository lock. Publishing also rolls back a crashed transaction on its own.
    /// </summary>
    public async Task RecoverAsync(CancellationToken ct)
    {
        RequireTree();
        using var held = await LockAsync(ct).ConfigureAwait(false);
        await RecoverTransactionAsync(ct).ConfigureAwait(false);
        foreach (var entry in Directory.EnumerateFileSystemEntries(staging))
        {
            var name = Path.GetFileName(entry);
            if (entry == lockFile || IsLiveStage(name))
            {
                continue;
            }

            if (name.StartsWith(StagePrefix, StringComparison.Ordinal) || name.StartsWith("trash-", StringComparison.Ordinal))
            {
                TreeOperations.DeleteTree(entry);
                LogStaleStagingRemoved(entry);
            }
        }
    }

    /// <summary>What is published, read from the repository: tag symlinks and image metadata.</summary>
    public Task<PublishedState> ReadStateAsync(CancellationToken ct)
    {
        RequireTree();
        return Task.Run(() => ReadSnapshot(ct).ToPublishedState(), ct);
    }

    /// <summary>
    /// A not-yet-existing path in the staging directory (its parent exists) for the flattener to create the image
    /// tree at. It is on the repository's file system for the <c>directory</c> backend, so the tree is renamed in.
    /// </summary>
    public string CreateStagingPath(string configDigest)
    {
        var hex = RepositoryLayout.DigestHex(configDigest);
        Directory.CreateDirectory(staging);
        return Path.Combine(staging, string.Create(CultureInfo.InvariantCulture, $"{StagePrefix}{Environment.ProcessId}.{hex[..12]}.{Guid.NewGuid():N}"));
    }

    /// <summary>
    /// Removes a tree at a path from <see cref="CreateStagingPath"/> that will not be published (a flatten that
    /// failed, a batch never handed to <see cref="ApplyAsync"/>), without following links; missing is fine. A path that
    /// is not one of this repository's staging paths is left alone.
    /// </summary>
    public void DiscardStagedTree(string? stagedTree)
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

    internal RepositorySnapshot ReadSnapshot(CancellationToken ct)
    {
        var snapshot = new RepositorySnapshot();
        WalkTags(string.Empty, snapshot, ct);
        ReadForeignClocks(snapshot);
        var images = backend.Tree.Full(RepositoryLayout.ImagesDirectory);
        if (!Directory.Exists(images))
        {
            return snapshot;
        }

        foreach (var prefix in new DirectoryInfo(images).EnumerateDirectories())
        {
            // .images/xx (ours and OSG's layer hashes) and .images/sha256:xx (OSG's manifest lists).
            if (prefix.Name.Length is not (2 or 9) || prefix.Attributes.HasFlag(FileAttributes.ReparsePoint))
            {
                continue;
            }

            foreach (var entry in ReadableEntries(prefix, RepositoryLayout.ImagesDirectory + "/" + prefix.Name, snapshot))
            {
                ct.ThrowIfCancellationRequested();
                var name = entry.Name;
                var isJson = name.EndsWith(".json", StringComparison.Ordinal);
                if (!RepositoryLayout.TryParseImageDirectory(prefix.Name, isJson ? name[..^5] : name, out var digest) ||
                    entry.Attributes.HasFlag(FileAttributes.ReparsePoint))
                {
                    continue;
                }

                if (!isJson && entry is DirectoryInfo)
                {
                    snapshot.ImageDirectories.Add(digest);
                }
                else if (isJson && entry is FileInfo)
                {
                    try
                    {
                        snapshot.Metadata[digest] = ReadMetadata(entry.FullName, digest);
                    }
                    catch (Exception e) when (e is InvalidDataException or IOException)
                    {
                        snapshot.UnreadableMetadata.Add(digest);
                        LogUnreadableMetadata(entry.FullName, e);
                    }
                }
            }
        }

        return snapshot;
    }

    private static ImageMetadata ReadMetadata(string path, string digest)
    {
        var metadata = MetadataJson.Parse(File.ReadAllBytes(path), path);
        return RepositoryLayout.KeyOf(metadata) == digest
            ? metadata
            : throw new InvalidDataException($"'{path}' names the config digest {metadata.ConfigDigest}{(metadata.AdoptedFrom is null ? "" : " adopted from " + RepositoryLayout.Printable(metadata.AdoptedFrom))}, not {digest}");
    }

    private static bool IsLiveStage(string name)
    {
        // stage.<pid>.<...>: in use while that process lives (a crashed publisher's trees are stale).
        if (!name.StartsWith(StagePrefix, StringComparison.Ordinal))
        {
            return false;
        }

        var rest = name[StagePrefix.Length..];
        var dot = rest.IndexOf('.', StringComparison.Ordinal);
        return dot > 0 && int.TryParse(rest[..dot], NumberStyles.None, CultureInfo.InvariantCulture, out var pid) &&
               (pid == Environment.ProcessId || Directory.Exists($"/proc/{pid}"));
    }

    /// <summary>
    /// The tags under <paramref name="relativeDirectory"/>: each directory is read once (readdir's entry types) and
    /// each link once (readlink); nothing is followed, and a link costs no stat (a <see cref="FileSystemInfo"/> stats
    /// each link's target and lstats it again, three calls per tag and most of reading 50,000 of them).
    /// </summary>
    private void WalkTags(string relativeDirectory, RepositorySnapshot snapshot, CancellationToken ct)
    {
        // Names and types from readdir alone: the walk costs one call per directory, not a stat per entry (on the
        // FUSE mount of a real repository, every stat is a round trip).
        var directory = relativeDirectory.Length == 0 ? backend.Tree.Root : backend.Tree.Full(relativeDirectory);
        var entries = relativeDirectory.Length == 0 ? Libc.ReadDirectory(directory) : ReadableNames(directory, relativeDirectory, snapshot);
        foreach (var (name, reported) in entries)
        {
            ct.ThrowIfCancellationRequested();
            if (name.StartsWith('.'))
            {
                continue; // .images, .cvmfscatalog, .staging, temporary names: never tags
            }

            var relative = relativeDirectory.Length == 0 ? name : relativeDirectory + "/" + name;
            var full = Path.Combine(directory, name);
            var type = reported != Libc.DtUnknown ? reported : Libc.LStat(full) switch
            {
                { IsSymlink: true } => Libc.DtLnk,
                { IsDirectory: true } => Libc.DtDir,
                _ => Libc.DtUnknown,
            };
            if (type == Libc.DtLnk)
            {
                var target = new FileInfo(full).LinkTarget ?? string.Empty;
                if (RepositoryLayout.TryParseLinkTarget(relative, target, mountPath, out var digest))
                {
                    snapshot.Tags[relative] = digest;
                }
                else
                {
                    NoteLinkedElsewhere(snapshot, relative, target);
                    LogForeignLink(relative, target);
                }
            }
            else if (type == Libc.DtDir)
            {
                WalkTags(relative, snapshot, ct);
            }
        }
    }

    /// <summary>Like <see cref="ReadableEntries"/>, names and types only.</summary>
    private List<(string Name, byte Type)> ReadableNames(string directory, string relative, RepositorySnapshot snapshot)
    {
        try
        {
            return Libc.ReadDirectory(directory);
        }
        catch (UnauthorizedAccessException e)
        {
            NoteUnreadable(directory, relative, snapshot, e);
            return [];
        }
    }

    /// <summary>
    /// The entries of a directory below the root, or none when it cannot be read: a directory this service did not
    /// write (someone's ingest with mode 0700) is skipped, said once per directory and process, and the rest is read.
    /// </summary>
    private List<FileSystemInfo> ReadableEntries(DirectoryInfo directory, string relative, RepositorySnapshot snapshot)
    {
        try
        {
            return [.. directory.EnumerateFileSystemInfos()];
        }
        catch (UnauthorizedAccessException e)
        {
            NoteUnreadable(directory.FullName, relative, snapshot, e);
            return [];
        }
    }

    private void NoteUnreadable(string directory, string relative, RepositorySnapshot snapshot, UnauthorizedAccessException e)
    {
        snapshot.UnreadableDirectories.Add(relative);
        if (reportedUnreadable.TryAdd(directory, 0))
        {
            LogUnreadableDirectory(directory, e.Message);
        }
    }

    private async Task<RepositoryLock> LockAsync(CancellationToken ct)
    {
        Directory.CreateDirectory(staging);
        return await RepositoryLock.AcquireAsync(lockFile, options.LockTimeout, () => LogWaitingForLock(lockFile), ct).ConfigureAwait(false);
    }

    private async Task RecoverTransactionAsync(CancellationToken ct)
    {
        var outcome = await backend.RecoverTransactionAsync(ct).ConfigureAwait(false);
        if (outcome is not null)
        {
            LogRecovered(repositoryName, outcome);
        }
    }

    private void RequireTree()
    {
        if (!Directory.Exists(backend.Tree.Root))
        {
            throw new DirectoryNotFoundException(options.Backend == PublisherBackends.Directory
                ? $"the repository root '{backend.Tree.Root}' does not exist (Publisher:Root)"
                : $"the repository '{backend.Tree.Root}' is not mounted (Publisher:MountRoot, Publisher:RepositoryName)");
        }
    }
}
