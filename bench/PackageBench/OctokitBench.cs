using System.Collections.Concurrent;
using System.Diagnostics;
using CvmfsImages.TestSupport;
using Octokit;
using Octokit.Caching;
using Octokit.Internal;

namespace CvmfsImages.Bench.Packages;

/// <summary>
/// Octokit 14.0.0 against tests/TestSupport's GitHub fake, on what SyncService/GitHub/GitHubClient does: conditional
/// list reads that cost no rate limit, bounded reads, rate-limit waits on an injected clock.
/// </summary>
internal static class OctokitBench
{
    public static async Task<int> RunAsync()
    {
        await using var fake = await GitHubFake.StartAsync();
        fake.CommitFile("images.txt", "python:3.12\n");
        var cache = new MemoryCache();
        var connection = new Connection(
            new ProductHeaderValue("cvmfs-image-sync-bench"),
            new Uri(fake.ApiBaseUrl + "/"),
            new InMemoryCredentialStore(new Credentials(fake.Token, AuthenticationType.Bearer)),
            new HttpClientAdapter(HttpMessageHandlerFactory.CreateDefault),
            new SimpleJsonSerializer())
        {
            ResponseCache = cache,
        };
        var client = new GitHubClient(connection);

        var watch = Stopwatch.StartNew();
        var raw = await client.Repository.Content.GetRawContentByRef(fake.Owner, fake.Repository, "images.txt", "main");
        Console.WriteLine($"raw read (Accept: raw; the fake answers Content-Type application/vnd.github.raw): {(raw is null ? "null (no bytes returned)" : raw.Length + " bytes")}; " +
                          $"first call {watch.Elapsed.TotalMilliseconds:0} ms (Octokit's JIT included)");
        var first = Text(await client.Repository.Content.GetAllContentsByRef(fake.Owner, fake.Repository, "images.txt", "main"));
        var budget = fake.RateLimitRemaining;
        var second = Text(await client.Repository.Content.GetAllContentsByRef(fake.Owner, fake.Repository, "images.txt", "main"));
        var last = fake.Requests[^1];
        Console.WriteLine($"conditional JSON re-read with an IResponseCache: If-None-Match sent: {last.Header("If-None-Match") is not null}; " +
                          $"rate limit spent: {budget - fake.RateLimitRemaining}; same text: {second == first} ('{first.Trim()}')");
        Console.WriteLine("  (the ETag lives in the cache object: surviving a restart needs a persistent IResponseCache that also stores the body)");

        fake.CommitFile("images.txt", new string('#', 64 * 1024 * 1024));
        var allocated = GC.GetTotalAllocatedBytes(precise: true);
        var big = Text(await client.Repository.Content.GetAllContentsByRef(fake.Owner, fake.Repository, "images.txt", "main"));
        Console.WriteLine($"bounded reads: a 64 MiB list is read whole ({big.Length / 1048576} MiB of text, {(GC.GetTotalAllocatedBytes(precise: true) - allocated) / 1048576} MiB allocated); " +
                          "Octokit has no size bound (GitHub:MaxListBytes is 1 MiB)");

        fake.RateLimitRemaining = 0;
        fake.RateLimitReset = DateTimeOffset.UtcNow.AddSeconds(30);
        var before = fake.Requests.Count;
        watch.Restart();
        try
        {
            await client.Repository.Content.GetAllContentsByRef(fake.Owner, fake.Repository, "images.txt", "main");
            Console.WriteLine("rate limit: the call succeeded (unexpected)");
        }
        catch (RateLimitExceededException ex)
        {
            Console.WriteLine($"rate limit: {ex.GetType().Name} after {watch.Elapsed.TotalMilliseconds:0} ms and {fake.Requests.Count - before} request(s), reset {ex.Reset:O}: " +
                              "no wait, no retry; the caller must wait (Octokit takes no TimeProvider)");
        }

        var takesClock = typeof(GitHubClient).Assembly.GetTypes().SelectMany(t => t.GetConstructors()).Any(c => c.GetParameters().Any(p => p.ParameterType == typeof(TimeProvider)));
        Console.WriteLine($"any Octokit constructor taking a TimeProvider: {takesClock}");
        return 0;
    }

    private static string Text(IReadOnlyList<RepositoryContent> contents) => contents.Single().Content;

    /// <summary>The simplest IResponseCache: in memory, keyed by URI.</summary>
    private sealed class MemoryCache : IResponseCache
    {
        private readonly ConcurrentDictionary<string, CachedResponse.V1> _entries = new();

        public Task<CachedResponse.V1> GetAsync(IRequest request) =>
            Task.FromResult(_entries.TryGetValue(request.Endpoint.ToString(), out var entry) ? entry : null!);

        public Task SetAsync(IRequest request, CachedResponse.V1 cachedResponse)
        {
            _entries[request.Endpoint.ToString()] = cachedResponse;
            return Task.CompletedTask;
        }
    }
}
