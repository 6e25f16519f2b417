using System.Diagnostics;
using Microsoft.Win32.SafeHandles;
using CvmfsImages.Publisher.Native;

namespace CvmfsImages.Publisher.Publishing;

/// <summary>
/// The repository's cross-process lock: flock(2) on a lock file. Each instance opens its own file description, so
/// two publishers in one process exclude each other as two processes do; the kernel drops the lock when the holder
/// dies (kill -9 included), so a crash never leaves it taken.
/// </summary>
internal sealed class RepositoryLock : IDisposable
{
    private readonly SafeFileHandle handle;

    private RepositoryLock(SafeFileHandle handle)
    {
        this.handle = handle;
    }

    /// <summary>Takes the lock, polling until <paramref name="timeout"/>; <see cref="RepositoryLockTimeoutException"/> after it.</summary>
    public static async Task<RepositoryLock> AcquireAsync(string path, TimeSpan timeout, Action onWait, CancellationToken ct)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);

        // Opened with open(2), not FileStream: .NET takes its own flock(LOCK_SH) on every FileStream, which would make
        // a second publisher's open fail instead of wait.
        var handle = Libc.OpenLockFile(path);
        try
        {
            var watch = Stopwatch.StartNew();
            var delay = TimeSpan.FromMilliseconds(20);
            var waited = false;
            while (!Libc.TryLockExclusive(handle))
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

            return new RepositoryLock(handle);
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    /// <summary>Releases the lock (closing the file description releases the flock).</summary>
    public void Dispose() => handle.Dispose();
}
