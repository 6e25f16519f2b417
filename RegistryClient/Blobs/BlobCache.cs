using CvmfsImages.Registry.Names;
using Microsoft.Extensions.Logging;

namespace CvmfsImages.Registry.Blobs;

/// <summary>
/// A content-addressed blob cache on disk, shared by every image and safe for concurrent use by threads and processes:
/// <list type="bullet">
/// <item>Layout: <c>ROOT/blobs/ALGORITHM/HEX</c>; downloads in progress live in <c>ROOT/tmp</c> under unique names.</item>
/// <item>A blob enters only after its stream was verified (size and digest at EOF), by an atomic rename; a reader never
/// sees a partial file. Two writers of one blob both rename; the content is the same.</item>
/// <item>Readers verify again while reading (a damaged file is deleted and reported as a mismatch).</item>
/// <item>Least recently used blobs (by modification time, touched on each hit) are evicted beyond the size bound.
/// Deleting a file another process reads is safe on Linux: its open descriptor keeps the data.</item>
/// </list>
/// </summary>
internal sealed class BlobCache
{
    private static readonly TimeSpan StaleTemporary = TimeSpan.FromDays(1);

    private readonly string _blobs;
    private readonly string _tmp;
    private readonly long _maxBytes;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Lock _evictLock = new();

    public BlobCache(string root, long maxBytes, TimeProvider time, ILogger logger)
    {
        _blobs = Path.Combine(root, "blobs");
        _tmp = Path.Combine(root, "tmp");
        _maxBytes = maxBytes;
        _time = time;
        _logger = logger;
        Directory.CreateDirectory(_blobs);
        Directory.CreateDirectory(_tmp);
        RemoveStaleTemporaries();
    }

    public string PathOf(Digest digest) => Path.Combine(_blobs, digest.Algorithm, digest.Hex);

    /// <summary>A verifying stream over the cached blob, or null when it is not cached (or has the wrong size).</summary>
    public Stream? TryOpen(Digest digest, long size, string reference)
    {
        var path = PathOf(digest);
        FileStream file;
        try
        {
            file = new FileStream(path, new FileStreamOptions
            {
                Mode = FileMode.Open,
                Access = FileAccess.Read,
                Share = FileShare.Read | FileShare.Delete,
                BufferSize = 0,
                Options = FileOptions.SequentialScan,
            });
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }

        if (file.Length != size)
        {
            file.Dispose();
            TryDelete(path);
            return null;
        }

        try
        {
            File.SetLastWriteTimeUtc(path, _time.GetUtcNow().UtcDateTime);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Another process may have evicted it meanwhile; the open descriptor still reads the blob.
        }

        Registry.RegistryClient.Log.CacheHit(_logger, digest);
        return new VerifyingStream(file, digest, size, reference, () => TryDelete(path));
    }

    /// <summary>Tees a verified source into a temporary file that enters the cache when the source reaches EOF.</summary>
    public Stream Wrap(Stream verifiedSource, Digest digest, long size)
    {
        var temp = Path.Combine(_tmp, $"{digest.Hex}.{Guid.NewGuid():N}.partial");
        var file = new FileStream(temp, new FileStreamOptions
        {
            Mode = FileMode.CreateNew,
            Access = FileAccess.Write,
            Share = FileShare.None,
            BufferSize = 0,
        });
        return new CacheWritingStream(this, verifiedSource, file, temp, digest, size);
    }

    /// <summary>Moves a verified temporary file into place and evicts beyond the bound.</summary>
    internal void Commit(string temp, Digest digest, long size)
    {
        var path = PathOf(digest);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.Move(temp, path, overwrite: true);
        Registry.RegistryClient.Log.CacheStored(_logger, digest, size);
        Evict(keep: path);
    }

    /// <summary>Deletes the least recently used blobs until the cache fits its bound (never <paramref name="keep"/>).</summary>
    internal void Evict(string? keep)
    {
        lock (_evictLock)
        {
            List<FileInfo> files;
            try
            {
                files = new DirectoryInfo(_blobs).EnumerateFiles("*", SearchOption.AllDirectories).ToList();
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                ReportProblem("cannot list the cache for eviction", ex);
                return;
            }

            var total = files.Sum(f => f.Length);
            if (total <= _maxBytes)
            {
                return;
            }

            var count = 0;
            long freed = 0;
            foreach (var file in files.OrderBy(f => f.LastWriteTimeUtc))
            {
                if (total <= _maxBytes)
                {
                    break;
                }

                if (string.Equals(file.FullName, keep, StringComparison.Ordinal))
                {
                    continue;
                }

                if (TryDelete(file.FullName))
                {
                    total -= file.Length;
                    freed += file.Length;
                    count++;
                }
            }

            Registry.RegistryClient.Log.CacheEvicted(_logger, _maxBytes, count, freed);
        }
    }

    internal void ReportProblem(string message, Exception exception) => Registry.RegistryClient.Log.CacheProblem(_logger, message, exception);

    internal bool TryDelete(string path)
    {
        try
        {
            File.Delete(path);
            return true;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            Registry.RegistryClient.Log.CacheProblem(_logger, $"cannot delete {path}", ex);
            return false;
        }
    }

    // Temporaries of crashed processes; a day old is far beyond any live download's age.
    private void RemoveStaleTemporaries()
    {
        var cutoff = _time.GetUtcNow().UtcDateTime - StaleTemporary;
        foreach (var file in new DirectoryInfo(_tmp).EnumerateFiles("*.partial"))
        {
            if (file.LastWriteTimeUtc < cutoff)
            {
                TryDelete(file.FullName);
            }
        }
    }
}
