using CvmfsImages.Publisher.Publishing;
using CvmfsImages.Sync.Status;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace CvmfsImages.Sync.Web.Health;

/// <summary>
/// Readiness: the repository's tree can be read, and no <c>cvmfs_server</c> transaction of this service is open while
/// no pass runs (a crash left it; the next pass aborts it, but until then nothing can be published).
/// </summary>
internal sealed class RepositoryHealthCheck(PublisherOptions publisher, PassTracker tracker) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var root = publisher.Backend == PublisherBackends.CvmfsServer
            ? Path.Combine(publisher.MountRoot, publisher.RepositoryName ?? string.Empty)
            : publisher.Root ?? string.Empty;
        try
        {
            using var entries = Directory.EnumerateFileSystemEntries(root).GetEnumerator();
            entries.MoveNext();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return Task.FromResult(HealthCheckResult.Unhealthy($"the repository at {root} cannot be read: {ex.Message}"));
        }

        // The publisher's marker of an open cvmfs_server transaction (CvmfsServerBackend.MarkerPath).
        // FIXME: the staging default is repeated from PublisherOptions.EffectiveStagingDirectory, which is internal to CvmfsPublisher.
        var staging = publisher.StagingDirectory ?? Path.Combine(publisher.Root ?? root, ".staging");
        if (publisher.Backend == PublisherBackends.CvmfsServer && File.Exists(Path.Combine(staging, "transaction.open")) && tracker.Current() is null)
        {
            return Task.FromResult(HealthCheckResult.Unhealthy("a cvmfs_server transaction is open while no pass runs (the next pass aborts it)"));
        }

        return Task.FromResult(HealthCheckResult.Healthy($"the repository at {root} is readable"));
    }
}
