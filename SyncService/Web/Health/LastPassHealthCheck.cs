using CvmfsImages.Sync.Status;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace CvmfsImages.Sync.Web.Health;

/// <summary>Readiness: the last pass's result. Failed images are degraded (the service works; some images need attention).</summary>
internal sealed class LastPassHealthCheck(StatusStore store) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var last = (await store.ReadAsync(cancellationToken).ConfigureAwait(false)).LastSync;
        if (last is null)
        {
            return HealthCheckResult.Healthy("no pass has finished yet");
        }

        return last.Succeeded
            ? HealthCheckResult.Healthy($"the last pass ({last.Scope}) brought every image up to date")
            : HealthCheckResult.Degraded($"the last pass ({last.Scope}) left {last.Failed} image(s) failed");
    }
}
