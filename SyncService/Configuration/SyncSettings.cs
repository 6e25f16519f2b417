using CvmfsImages.Publisher.Publishing;
using CvmfsImages.Registry;
using Microsoft.Extensions.Configuration;

namespace CvmfsImages.Sync.Configuration;

/// <summary>
/// The whole configuration, loaded and validated once at start. Sources, later ones winning: the defaults in the
/// option classes; <c>appsettings.json</c> beside the executable; <c>/etc/cvmfs-image-sync/appsettings.json</c>;
/// the file given with <c>--config</c>; environment variables prefixed <c>CVMFS_IMAGE_SYNC_</c> (<c>__</c> for
/// <c>:</c>, e.g. <c>CVMFS_IMAGE_SYNC_Sync__List</c>); the command line. Relative paths are made absolute against
/// the working directory.
/// </summary>
internal sealed record SyncSettings(IConfiguration Configuration, SyncOptions Sync, PublisherOptions Publisher, RegistryClientOptions Registry)
{
    public const string EnvironmentPrefix = "CVMFS_IMAGE_SYNC_";

    public const string SystemConfigFile = "/etc/cvmfs-image-sync/appsettings.json";

    /// <summary>Loads and validates; <see cref="OptionsException"/> naming the bad key on any problem.</summary>
    public static SyncSettings Load(CommandLineOverrides overrides, string? baseDirectory = null, bool includeSystemFile = true)
    {
        ArgumentNullException.ThrowIfNull(overrides);
        var builder = new ConfigurationBuilder()
            .AddJsonFile(Path.Combine(baseDirectory ?? AppContext.BaseDirectory, "appsettings.json"), optional: true, reloadOnChange: false);
        if (includeSystemFile)
        {
            builder.AddJsonFile(SystemConfigFile, optional: true, reloadOnChange: false);
        }

        if (overrides.ConfigFile is { } file)
        {
            var full = Path.GetFullPath(file);
            if (!File.Exists(full))
            {
                throw new OptionsException("--config", $"names '{full}', which does not exist");
            }

            builder.AddJsonFile(full, optional: false, reloadOnChange: false);
        }

        builder.AddEnvironmentVariables(EnvironmentPrefix).AddInMemoryCollection(overrides.ToConfiguration());
        IConfiguration configuration;
        try
        {
            configuration = builder.Build();
        }
        catch (Exception ex) when (ex is InvalidDataException or FormatException or IOException)
        {
            throw new OptionsException("configuration file", $"cannot be read: {ex.Message}", ex);
        }

        return FromConfiguration(configuration);
    }

    /// <summary>Binds and validates the three sections of <paramref name="configuration"/>, and reads the credentials file.</summary>
    public static SyncSettings FromConfiguration(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        if (configuration.GetSection("Sync:Metrics").GetChildren().FirstOrDefault() is { } metrics)
        {
            throw new OptionsException(metrics.Path, "is no longer read: /metrics, /healthz and the status page are on the HTTP host, Http:Urls (default http://127.0.0.1:9477)");
        }

        var sync = Bind<SyncOptions>(configuration, SyncOptions.SectionName);
        var publisher = Bind<PublisherOptions>(configuration, PublisherOptions.SectionName);
        var registry = Bind<RegistryClientOptions>(configuration, RegistryClientOptions.SectionName);

        sync.StateDirectory = Path.GetFullPath(sync.StateDirectory);
        if (!string.IsNullOrWhiteSpace(sync.List) && !LooksLikeRemote(sync.List))
        {
            sync.List = Path.GetFullPath(sync.List);
        }

        publisher.Root = Absolute(publisher.Root);
        publisher.StagingDirectory = Absolute(publisher.StagingDirectory);
        publisher.LockFile = Absolute(publisher.LockFile);
        registry.BlobCacheDirectory = Absolute(registry.BlobCacheDirectory);
        registry.DockerConfigPath = Absolute(registry.DockerConfigPath);

        sync.Validate();
        Validate(publisher.Validate, PublisherOptions.SectionName);
        Validate(registry.Validate, RegistryClientOptions.SectionName);
        CheckCredentialsFile(registry);
        return new SyncSettings(configuration, sync, publisher, registry);
    }

    /// <summary>A list location that is not a local path (a GitHub location or a URL).</summary>
    public static bool LooksLikeRemote(string location) =>
        location.Contains("://", StringComparison.Ordinal) || location.StartsWith("github:", StringComparison.OrdinalIgnoreCase);

    private static T Bind<T>(IConfiguration configuration, string section)
        where T : new()
    {
        var options = new T();
        try
        {
            configuration.GetSection(section).Bind(options, o => o.ErrorOnUnknownConfiguration = true);
        }
        catch (InvalidOperationException ex)
        {
            // The binder names the key: "Failed to convert configuration value at 'Sync:MaxConcurrentPulls' to type ...".
            throw new OptionsException(section, $"is invalid: {ex.Message}", ex);
        }

        return options;
    }

    private static void Validate(Action validate, string section)
    {
        try
        {
            validate();
        }
        catch (ArgumentException ex)
        {
            var key = ex.ParamName is { } name && name.Contains(':', StringComparison.Ordinal) ? name : $"{section}:{ex.ParamName}";
            throw new OptionsException(key, $"is invalid: {ex.Message}", ex);
        }
    }

    // Read at start by every command: a credentials file in neither format is a bad setting (exit 2) naming the file,
    // not "no credentials" found out image by image.
    private static void CheckCredentialsFile(RegistryClientOptions registry)
    {
        try
        {
            registry.CheckCredentialsFile();
        }
        catch (CredentialsFileException ex)
        {
            throw new OptionsException($"{RegistryClientOptions.SectionName}:{nameof(RegistryClientOptions.DockerConfigPath)}", "is unusable: " + ex.Message, ex);
        }
    }

    private static string? Absolute(string? path) => string.IsNullOrWhiteSpace(path) ? path : Path.GetFullPath(path);
}
