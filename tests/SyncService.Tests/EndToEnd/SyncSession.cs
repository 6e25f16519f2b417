using System.Collections.Concurrent;
using CvmfsImages.Registry;
using CvmfsImages.Sync.CommandLine;
using CvmfsImages.Sync.Execution;

namespace CvmfsImages.Tests.SyncService.EndToEnd;

/// <summary>One set of sync services (as a command or <c>serve</c> builds them), its registry requests counted by method.</summary>
internal sealed class SyncSession : IAsyncDisposable
{
    private readonly CommandContext _context;
    private readonly ConcurrentDictionary<string, int> _requests = new(StringComparer.Ordinal);

    public SyncSession(CommandContext context)
    {
        _context = context;
        _context.Get<RegistryClient>().RequestCompleted += (_, e) => _requests.AddOrUpdate(e.Method, 1, (_, n) => n + 1);
    }

    public SyncRunner Runner => _context.Get<SyncRunner>();

    /// <summary>Requests by method since the session opened or since <see cref="TakeRequests"/>.</summary>
    public IReadOnlyDictionary<string, int> Requests => new Dictionary<string, int>(_requests, StringComparer.Ordinal);

    /// <summary>The requests counted so far, and the count starts again.</summary>
    public IReadOnlyDictionary<string, int> TakeRequests()
    {
        var taken = Requests;
        _requests.Clear();
        return taken;
    }

    public ValueTask DisposeAsync() => _context.DisposeAsync();
}
