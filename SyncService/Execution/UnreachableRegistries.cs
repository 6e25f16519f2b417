using System.Collections.Concurrent;
using CvmfsImages.Registry;

namespace CvmfsImages.Sync.Execution;

/// <summary>
/// The registries that did not answer at all during one pass (no HTTP response after the client's retries: name not
/// resolved, connection refused, no response in time). Their other images fail at once with the first cause instead
/// of each spending the whole retry budget again: an outage of a registry with a thousand listed images costs one
/// set of retries, not a thousand. An HTTP error (404, 401, 500 ...) never marks a registry: it answered. One per pass;
/// the next pass asks again.
/// </summary>
internal sealed class UnreachableRegistries
{
    private readonly ConcurrentDictionary<string, RegistryUnreachableException> _down = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Runs <paramref name="call"/> against <paramref name="registry"/> unless it is already known down this pass.</summary>
    /// <param name="registry">The registry as the list names it (<c>docker.io</c>, <c>127.0.0.1:5000</c>).</param>
    /// <param name="lineNumber">The list line the call is for, named in the failure of later calls.</param>
    /// <param name="call">The request.</param>
    /// <param name="onMarked">Told once when this call marks the registry down.</param>
    public async Task<T> CallAsync<T>(string registry, int lineNumber, Func<Task<T>> call, Action<RegistryUnreachableException>? onMarked = null)
    {
        ArgumentNullException.ThrowIfNull(registry);
        ArgumentNullException.ThrowIfNull(call);
        if (_down.TryGetValue(registry, out var known))
        {
            throw new RegistryUnreachableException(known.Registry, known.LineNumber, known.FirstFailure, known.InnerException);
        }

        try
        {
            return await call().ConfigureAwait(false);
        }
        catch (RegistryException ex) when (IsUnreachable(ex))
        {
            var marked = new RegistryUnreachableException(registry, lineNumber, SyncEngine.Reason(ex), ex);
            if (_down.TryAdd(registry, marked))
            {
                onMarked?.Invoke(marked);
            }

            throw;
        }
    }

    /// <summary>True when the registry gave no HTTP response at all (as opposed to an error status it sent).</summary>
    internal static bool IsUnreachable(RegistryException ex) =>
        ex is { Status: null, IsTransient: true }
        && ex.InnerException is HttpRequestException { HttpRequestError: HttpRequestError.NameResolutionError or HttpRequestError.ConnectionError }
            or OperationCanceledException or TimeoutException;
}
