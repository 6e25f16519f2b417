using CvmfsImages.Sync.Lists;

namespace CvmfsImages.Sync.Status;

/// <summary>
/// Wraps <c>serve</c>'s <see cref="IListSource"/> and remembers each read: when it was tried, when it last worked, and
/// why the last one failed. The first read's end (success or failure) is <see cref="FirstReadFinished"/>, which the
/// systemd readiness waits for; the list-read health check uses the rest.
/// </summary>
internal sealed class ListReadWatch(IListSource inner, TimeProvider time) : IListSource
{
    private readonly TaskCompletionSource _first = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Lock _gate = new();
    private DateTimeOffset? _lastAttempt;
    private DateTimeOffset? _lastSuccess;
    private string? _lastError;
    private string? _version;

    /// <summary>Completes when the first read ended, whether it worked or not.</summary>
    public Task FirstReadFinished => _first.Task;

    public ListReadState State
    {
        get
        {
            lock (_gate)
            {
                return new ListReadState(_lastAttempt, _lastSuccess, _lastError, _version);
            }
        }
    }

    public async Task<ListSnapshot?> ReadAsync(CancellationToken ct)
    {
        try
        {
            var snapshot = await inner.ReadAsync(ct).ConfigureAwait(false);
            lock (_gate)
            {
                _lastAttempt = _lastSuccess = time.GetUtcNow();
                _lastError = null;
                _version = snapshot?.Version ?? _version;
            }

            return snapshot;
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            lock (_gate)
            {
                _lastAttempt = time.GetUtcNow();
                _lastError = ex.Message;
            }

            throw;
        }
        finally
        {
            _first.TrySetResult();
        }
    }
}

/// <summary>The list source's last read: tried, worked, the last failure's reason (null when the last read worked), the version seen.</summary>
internal sealed record ListReadState(DateTimeOffset? LastAttempt, DateTimeOffset? LastSuccess, string? LastError, string? Version);
