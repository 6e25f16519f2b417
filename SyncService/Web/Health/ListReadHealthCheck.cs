using CvmfsImages.Sync.Configuration;
using CvmfsImages.Sync.Status;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace CvmfsImages.Sync.Web.Health;

/// <summary>
/// Readiness: the list source was read, its last read worked, and (for an interval schedule) it worked within two
/// poll intervals plus a minute. A failed read keeps what is published; it is degraded, not down, until it is stale.
/// </summary>
internal sealed class ListReadHealthCheck(ListReadWatch list, ScheduleOptions schedules, TimeProvider time) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var state = list.State;
        if (state.LastAttempt is null)
        {
            return Task.FromResult(HealthCheckResult.Unhealthy("the list has not been read yet"));
        }

        var interval = Schedule.Parse(schedules.ListPoll, "Sync:Schedules:ListPoll").Interval;
        var stale = interval is { } i && (state.LastSuccess is not { } ok || time.GetUtcNow() - ok > (2 * i) + TimeSpan.FromMinutes(1));
        if (state.LastError is { } error)
        {
            return Task.FromResult(stale
                ? HealthCheckResult.Unhealthy("the list has not been read for too long: " + error)
                : HealthCheckResult.Degraded("the last list read failed (what is published stays): " + error));
        }

        return Task.FromResult(stale
            ? HealthCheckResult.Unhealthy("the list has not been read within two poll intervals")
            : HealthCheckResult.Healthy("the list was read"));
    }
}
