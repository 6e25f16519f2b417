using System.Collections.Concurrent;

namespace CvmfsImages.Registry.Transport;

/// <summary>
/// At most N requests in flight per authority (host:port), counted until the response headers arrive: a body being
/// streamed no longer holds a slot, so a caller holding a blob stream open can never starve its own next request.
/// </summary>
internal sealed class ConcurrencyLimitHandler : DelegatingHandler
{
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _limits = new(StringComparer.OrdinalIgnoreCase);
    private readonly int _limit;

    public ConcurrencyLimitHandler(int limit)
    {
        _limit = limit;
    }

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var semaphore = _limits.GetOrAdd(request.RequestUri!.Authority, _ => new SemaphoreSlim(_limit, _limit));
        await semaphore.WaitAsync(cancellationToken);
        try
        {
            return await base.SendAsync(request, cancellationToken);
        }
        finally
        {
            semaphore.Release();
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            foreach (var semaphore in _limits.Values)
            {
                semaphore.Dispose();
            }
        }

        base.Dispose(disposing);
    }
}
