namespace CvmfsImages.Sync.Execution;

/// <summary>
/// One holder at a time of the repository's work in this process: sync passes and garbage collection never overlap,
/// whichever schedule started them. (Across processes the publisher's own lock holds per transaction.)
/// </summary>
public sealed class RepositoryGate : IDisposable
{
    private readonly SemaphoreSlim _semaphore = new(1, 1);
    private int _waiting;

    /// <summary>How many callers are waiting for the repository now.</summary>
    internal int Waiting => Volatile.Read(ref _waiting);

    /// <summary>Waits for the repository; dispose the result to give it back.</summary>
    public async Task<IDisposable> EnterAsync(CancellationToken ct)
    {
        Interlocked.Increment(ref _waiting);
        try
        {
            await _semaphore.WaitAsync(ct).ConfigureAwait(false);
        }
        finally
        {
            Interlocked.Decrement(ref _waiting);
        }

        return new Releaser(_semaphore);
    }

    public void Dispose() => _semaphore.Dispose();

    private sealed class Releaser(SemaphoreSlim semaphore) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                semaphore.Release();
            }
        }
    }
}
