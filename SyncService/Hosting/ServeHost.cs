using CvmfsImages.Publisher.Publishing;
using CvmfsImages.Sync.Configuration;
using CvmfsImages.Sync.GitHub;
using CvmfsImages.Sync.Lists;
using CvmfsImages.Sync.Status;
using CvmfsImages.Sync.Web;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Hosting.Systemd;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;
using Quartz;

namespace CvmfsImages.Sync.Hosting;

/// <summary>
/// The long-running worker: an ASP.NET Core host (Kestrel on <c>Http:Urls</c>: status page, JSON API, webhook,
/// metrics, health) with Quartz's hosted scheduler, and systemd notification. SIGTERM (or the caller's token) stops it
/// cleanly: the running job is cancelled, the publisher aborts the open transaction, or lets a
/// <c>cvmfs_server publish</c> that already started finish (it is the commit), Quartz waits for the job, then the
/// process exits.
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
    public static Task<IHost> BuildAsync(SyncSettings settings, bool verbose, CancellationToken ct) => BuildAsync(settings, verbose, null, null, ct);

    /// <summary>
    /// Builds the host. <paramref name="time"/> is the clock every service uses (the schedules' start, job records,
    /// the engine, the publisher); the system clock when null. <paramref name="configure"/> adds services (tests add
    /// observers).
    /// </summary>
    public static async Task<IHost> BuildAsync(SyncSettings settings, bool verbose, TimeProvider? time, Action<IServiceCollection>? configure, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(settings);
        time ??= TimeProvider.System;
        var http = HttpOptions.Bind(settings.Configuration);
        var lastRuns = (await new StatusStoreReader(settings.Sync.StateDirectory).ReadAsync(ct).ConfigureAwait(false)).JobRuns;

        // An empty builder: the configuration is the service's own (SyncSettings), not ASP.NET Core's defaults.
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions { ContentRootPath = Directory.GetCurrentDirectory() });
        builder.Configuration.AddConfiguration(settings.Configuration);
        builder.Logging.AddConfiguration(settings.Configuration.GetSection("Logging"));
        if (SystemdHelpers.IsSystemdService())
        {
            // The journal adds its own timestamps and reads <N> priority prefixes.
            builder.Logging.AddSystemdConsole(o => o.UseUtcTimestamp = true);
        }
        else
        {
            builder.Logging.AddSimpleConsole(o =>
            {
                o.SingleLine = true;
                o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss ";
            });
        }

        builder.Services.Configure<ConsoleLoggerOptions>(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
        if (verbose)
        {
            builder.Logging.SetMinimumLevel(LogLevel.Debug);
        }

        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = ShutdownTimeout(settings.Publisher));
        builder.Services.AddSingleton(time);
        configure?.Invoke(builder.Services);
        builder.Services.AddSync(settings);
        WatchListReads(builder.Services);
        builder.Services.AddSingleton<PassTracker>();
        builder.Services.AddSingleton<ScheduleInfo>();
        builder.Services.AddSingleton(settings.Sync.Schedules);
        builder.Services.AddSingleton<IListPollTrigger, QuartzListPollTrigger>();
        var schedules = new List<(string Job, string Description)>();
        builder.Services.AddQuartz(q => schedules.AddRange(JobSchedules.Configure(q, settings.Sync.Schedules, lastRuns, time.GetUtcNow())));
        builder.Services.AddQuartzHostedService(o => o.WaitForJobsToComplete = true);
        builder.Services.AddSingleton<ISystemdNotifier, SystemdNotifier>();
        builder.Services.AddHostedService<SystemdReadiness>();
        StatusWebHost.Configure(builder, http);

        var app = builder.Build();
        StatusWebHost.Map(app);

        // Fail at start, not at the first poll, when the list location has no source.
        _ = app.Services.GetRequiredService<IListSource>();
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("CvmfsImages.Sync.Hosting.Schedules");
        foreach (var (job, description) in schedules)
        {
            JobLog.Scheduled(logger, job, description, string.Empty);
        }

        var lifetime = app.Services.GetRequiredService<IHostApplicationLifetime>();
        var webhook = app.Services.GetService<GitHubWebhookListener>() is null ? string.Empty : ", POST " + GitHubWebhookListener.Route;
        lifetime.ApplicationStarted.Register(() =>
        {
            var urls = string.Join(", ", app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses ?? []);
            JobLog.Listening(logger, urls, webhook);
            if (http.ParsedUrls.Any(u => !u.IsLoopback))
            {
                JobLog.NotLoopback(logger, http.Urls);
            }
        });
        return app;
    }

    /// <summary>The addresses the started host listens on (port 0 resolved).</summary>
    public static IReadOnlyList<Uri> Addresses(IHost host)
    {
        ArgumentNullException.ThrowIfNull(host);
        return [.. (host.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses ?? []).Select(a => new Uri(a))];
    }

    // The list source registered by AddSync (or the GitHub part) wrapped in a ListReadWatch, which readiness and the page read.
    private static void WatchListReads(IServiceCollection services)
    {
        var inner = services.Last(d => d.ServiceType == typeof(IListSource));
        services.Remove(inner);
        services.AddSingleton(sp => new ListReadWatch(
            inner.ImplementationInstance as IListSource
                ?? (IListSource?)inner.ImplementationFactory?.Invoke(sp)
                ?? (IListSource)ActivatorUtilities.CreateInstance(sp, inner.ImplementationType!),
            sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton<IListSource>(sp => sp.GetRequiredService<ListReadWatch>());
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
