using CvmfsImages.Sync.Hosting;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace CvmfsImages.Sync.Web.Health;

/// <summary>Liveness and readiness: the scheduler that runs the list poll, the full resync and garbage collection is running.</summary>
internal sealed class SchedulerHealthCheck(ScheduleInfo schedules) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        await schedules.IsRunningAsync(cancellationToken).ConfigureAwait(false)
            ? HealthCheckResult.Healthy("the scheduler is running")
            : HealthCheckResult.Unhealthy("the scheduler is not running");
}
