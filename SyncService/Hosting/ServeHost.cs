using CvmfsImages.Publisher.Publishing;
using CvmfsImages.Sync.Configuration;
using CvmfsImages.Sync.Lists;
using CvmfsImages.Sync.Status;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;
using Quartz;

namespace CvmfsImages.Sync.Hosting;

/// <summary>
/// The long-running worker: Microsoft.Extensions.Hosting with Quartz's hosted scheduler and the metrics endpoint.
/// SIGTERM (or the caller's token) stops it cleanly: the running job is cancelled, the publisher aborts the open
/// transaction, or lets a <c>cvmfs_server publish</c> that already started finish (it is the commit), Quartz waits for
/// the job, then the process exits.
/// </summary>
internal static class ServeHost
{
    /// <summary>How long a stop may take beyond a running <c>cvmfs_server publish</c> (an abort of a transaction included).</summary>
    public static readonly TimeSpan ShutdownMargin = TimeSpan.FromMinutes(5);

    /// <summary>
    /// How long a stop may take. A <c>cvmfs_server publish</c> that has started is the commit and is let finish (it is
    /// bounded by <c>Publisher:CommandTimeout</c>), so with that backend the stop waits that long plus the margin;
    /// systemd's <c>TimeoutStopSec</c> (deploy/cvmfs-image-sync.service) must stay above it.
    /// </summary>
    public static TimeSpan ShutdownTimeout(PublisherOptions publisher)
    {
        ArgumentNullException.ThrowIfNull(publisher);
        return publisher.Backend == PublisherBackends.CvmfsServer ? publisher.CommandTimeout + ShutdownMargin : ShutdownMargin;
    }

    /// <summary>Builds the host on the system clock.</summary>
    public static Task<IHost> BuildAsync(SyncSettings settings, bool verbose, CancellationToken ct) => BuildAsync(settings, verbose, null, ct);

    /// <summary>
    /// Builds the host. <paramref name="time"/> is the clock every service uses (the schedules' start, job records,
    /// the engine, the publisher); the system clock when null.
    /// </summary>
    public static async Task<IHost> BuildAsync(SyncSettings settings, bool verbose, TimeProvider? time, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(settings);
        time ??= TimeProvider.System;
        var lastRuns = (await new StatusStoreReader(settings.Sync.StateDirectory).ReadAsync(ct).ConfigureAwait(false)).JobRuns;
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
        {
            DisableDefaults = true,
            ContentRootPath = Directory.GetCurrentDirectory(),
        });
        builder.Configuration.AddConfiguration(settings.Configuration);
        builder.Logging.AddConfiguration(settings.Configuration.GetSection("Logging"));
        builder.Logging.AddSimpleConsole(o =>
        {
            o.SingleLine = true;
            o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss ";
        });
        builder.Services.Configure<ConsoleLoggerOptions>(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
        if (verbose)
        {
            builder.Logging.SetMinimumLevel(LogLevel.Debug);
        }

        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = ShutdownTimeout(settings.Publisher));
        builder.Services.AddSingleton(time);
        builder.Services.AddSync(settings);
        builder.Services.AddSingleton<IListPollTrigger, QuartzListPollTrigger>();
        var schedules = new List<(string Job, string Description)>();
        builder.Services.AddQuartz(q => schedules.AddRange(JobSchedules.Configure(q, settings.Sync.Schedules, lastRuns, time.GetUtcNow())));
        builder.Services.AddQuartzHostedService(o => o.WaitForJobsToComplete = true);
        builder.Services.AddSingleton(settings.Sync.Metrics);
        builder.Services.AddSingleton<MetricsServer>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<MetricsServer>());
        var host = builder.Build();

        // Fail at start, not at the first poll, when the list location has no source.
        _ = host.Services.GetRequiredService<IListSource>();
        var logger = host.Services.GetRequiredService<ILoggerFactory>().CreateLogger("CvmfsImages.Sync.Hosting.Schedules");
        foreach (var (job, description) in schedules)
        {
            JobLog.Scheduled(logger, job, description, string.Empty);
        }

        return host;
    }

    /// <summary>Reads the state before the services exist (the schedules need the last runs).</summary>
    private sealed class StatusStoreReader(string directory)
    {
        public async Task<SyncStatus> ReadAsync(CancellationToken ct)
        {
            using var store = new StatusStore(directory);
            return await store.ReadAsync(ct).ConfigureAwait(false);
        }
    }
}
