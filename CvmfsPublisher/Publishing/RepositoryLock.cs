using System.Diagnostics;
using Microsoft.Win32.SafeHandles;

namespace CvmfsImages.Publisher.Publishing;

/// <summary>
/// The repository's cross-process lock: flock(2) on a lock file. Each instance opens its own file description, so
/// two publishers in one process exclude each other as two processes do; the kernel drops the lock when the holder
/// dies (kill -9 included), so a crash never leaves it taken.
/// </summary>
internal sealed class RepositoryLock : IDisposable
{
    private readonly FileStream stream;

    private RepositoryLock(FileStream stream)
    {
        this.stream = stream;
    }

    /// <summary>Takes the lock, polling until <paramref name="timeout"/>; <see cref="RepositoryLockTimeoutException"/> after it.</summary>
    public static async Task<RepositoryLock> AcquireAsync(string path, TimeSpan timeout, Action onWait, CancellationToken ct)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var stream = new FileStream(path, new FileStreamOptions
        {
            Mode = FileMode.OpenOrCreate,
            Access = FileAccess.ReadWrite,
            Share = FileShare.ReadWrite, // our flock below is the lock, not .NET's own advisory one
            UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead,
        });
        try
        {
            var watch = Stopwatch.StartNew();
            var delay = TimeSpan.FromMilliseconds(20);
            var waited = false;
            while (!Native.TryLockExclusive(stream.SafeFileHandle))
            {
                if (!waited)
                {
                    onWait();
                    waited = true;
                }

                if (watch.Elapsed >= timeout)
                {
                    throw new RepositoryLockTimeoutException(path, timeout);
                }

                await Task.Delay(delay, ct).ConfigureAwait(false);
                delay = TimeSpan.FromMilliseconds(Math.Min(delay.TotalMilliseconds * 2, 500));
            }

            return new RepositoryLock(stream);
        }
        catch
        {
            await stream.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    public SafeFileHandle Handle => stream.SafeFileHandle;

    /// <summary>Releases the lock (closing the file description releases the flock).</summary>
    public void Dispose() => stream.Dispose();
}
