using CvmfsImages.Publisher.Flattening;
using CvmfsImages.Publisher.Publishing;
using CvmfsImages.Registry;
using CvmfsImages.Sync.Configuration;
using CvmfsImages.Sync.Execution;
using CvmfsImages.Sync.Lists;
using CvmfsImages.Sync.Observability;
using CvmfsImages.Sync.Status;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;

namespace CvmfsImages.Sync;

/// <summary>
/// The composition root shared by every command and by <c>serve</c>: options, registry client (its requests counted
/// in the metrics), repository, flattener, engine, runner, status. Other parts (the GitHub list source and notices)
/// plug in by implementing <see cref="AddExtensions"/> in another file of this partial class: register an
/// <see cref="IListSource"/> for their list locations and any number of <see cref="ISyncObserver"/>s.
/// </summary>
internal static partial class SyncServices
{
    public static IServiceCollection AddSync(this IServiceCollection services, SyncSettings settings)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(settings);
        services.AddSingleton(settings);
        services.AddSingleton(settings.Sync);
        services.AddSingleton(settings.Publisher);
        services.AddSingleton(settings.Registry);
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<SyncMetrics>();
        services.AddSingleton<RepositoryGate>();
        services.AddSingleton(_ => new StatusStore(settings.Sync.StateDirectory));
        services.AddSingleton(sp =>
        {
            var client = new RegistryClient(settings.Registry, sp.GetRequiredService<ILoggerFactory>(), time: sp.GetRequiredService<TimeProvider>());
            client.RequestCompleted += sp.GetRequiredService<SyncMetrics>().OnRegistryRequest;
            return client;
        });
        services.AddSingleton(sp =>
        {
            // The directory backend's root is created on first use, so the embedded default needs nothing prepared.
            if (settings.Publisher.Backend == PublisherBackends.Directory && settings.Publisher.Root is { } root)
            {
                Directory.CreateDirectory(root);
            }

            return new CvmfsRepository(settings.Publisher, sp.GetRequiredService<ILoggerFactory>(), sp.GetRequiredService<TimeProvider>());
        });
        services.AddSingleton(sp => new ImageFlattener(sp.GetRequiredService<ILogger<ImageFlattener>>()));
        services.AddSingleton(sp => new SyncEngine(
            sp.GetRequiredService<RegistryClient>(),
            sp.GetRequiredService<CvmfsRepository>(),
            sp.GetRequiredService<ImageFlattener>(),
            settings.Sync,
            settings.Publisher.PathStyle,
            sp.GetServices<ISyncObserver>(),
            sp.GetRequiredService<SyncMetrics>(),
            sp.GetRequiredService<ILogger<SyncEngine>>(),
            sp.GetRequiredService<TimeProvider>(),
            PublishedRoot(settings.Publisher)));
        services.AddSingleton<SyncRunner>();

        AddExtensions(services, settings);

        // The default list source: a local file. A remote location nobody registered a source for is an error at start.
        services.TryAddSingleton<IListSource>(_ => SyncSettings.LooksLikeRemote(settings.Sync.List)
            ? throw new OptionsException("Sync:List", $"'{settings.Sync.List}' is not a local file and no list source for it is installed")
            : new FileListSource(settings.Sync.List));
        return services;
    }

    /// <summary>Where users see the repository: <c>/cvmfs/&lt;name&gt;</c>, or the directory backend's root.</summary>
    internal static string PublishedRoot(PublisherOptions publisher) =>
        publisher.Backend == PublisherBackends.CvmfsServer
            ? $"{publisher.MountRoot.TrimEnd('/')}/{publisher.RepositoryName}"
            : publisher.Root ?? string.Empty;

    /// <summary>Where other parts of the service register their list sources and observers.</summary>
    static partial void AddExtensions(IServiceCollection services, SyncSettings settings);
}
