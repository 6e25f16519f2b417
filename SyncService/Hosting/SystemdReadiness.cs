using CvmfsImages.Sync.Status;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Hosting.Systemd;
using Microsoft.Extensions.Logging;

namespace CvmfsImages.Sync.Hosting;

/// <summary>
/// <c>Type=notify</c> for systemd (Microsoft.Extensions.Hosting.Systemd's <see cref="ISystemdNotifier"/>): sends
/// <c>READY=1</c> only when the HTTP host is listening (the host has started) and the first read of the list has
/// finished, worked or not (a list that cannot be read shows on <c>/readyz</c>; it must not keep the unit starting
/// for ever). A first read that waits longer than <see cref="MaxWait"/> (a GitHub rate limit, a long garbage
/// collection caught up first) does not hold the start either: then READY comes with a status saying so.
/// <c>STOPPING=1</c> on shutdown. Does nothing outside systemd (no <c>NOTIFY_SOCKET</c>).
/// </summary>
internal sealed class SystemdReadiness(
    ISystemdNotifier notifier,
    ListReadWatch list,
    IServer server,
    IHostApplicationLifetime lifetime,
    TimeProvider time,
    ILogger<SystemdReadiness> logger) : BackgroundService
{
    /// <summary>The longest the readiness waits for the first list read after the host has started.</summary>
    public static readonly TimeSpan MaxWait = TimeSpan.FromMinutes(5);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var registration = lifetime.ApplicationStarted.Register(started.SetResult);
        using var stopping = lifetime.ApplicationStopping.Register(() =>
        {
            if (notifier.IsEnabled)
            {
                notifier.Notify(ServiceState.Stopping);
            }
        });
        try
        {
            await started.Task.WaitAsync(stoppingToken).ConfigureAwait(false);
            var urls = string.Join(", ", server.Features.Get<IServerAddressesFeature>()?.Addresses ?? []);
            var read = await Task.WhenAny(list.FirstReadFinished, Task.Delay(MaxWait, time, stoppingToken)).ConfigureAwait(false) == list.FirstReadFinished;
            var status = read
                ? $"listening on {urls}; the list was read"
                : $"listening on {urls}; the first list read is still waiting (see /readyz)";
            JobLog.Ready(logger, status);
            if (notifier.IsEnabled)
            {
                notifier.Notify(new ServiceState("READY=1\nSTATUS=" + status.Replace('\n', ' ')));
            }

            await Task.Delay(Timeout.Infinite, stoppingToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }
}
