using CvmfsImages.Sync.Configuration;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;

namespace CvmfsImages.Sync.CommandLine;

/// <summary>
/// The services one command runs with. Logs go to stderr: only errors by default (the command prints its own results
/// and the summary names every failure), Information and up with <c>--verbose</c>.
/// </summary>
internal sealed class CommandContext : IAsyncDisposable
{
    private CommandContext(SyncSettings settings, ServiceProvider services)
    {
        Settings = settings;
        Services = services;
    }

    public SyncSettings Settings { get; }

    public ServiceProvider Services { get; }

    public T Get<T>()
        where T : notnull => Services.GetRequiredService<T>();

    public static CommandContext Create(SyncSettings settings, bool verbose, Action<IServiceCollection>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var services = new ServiceCollection();
        services.AddLogging(logging =>
        {
            logging.AddConfiguration(settings.Configuration.GetSection("Logging"));
            logging.AddSimpleConsole(o =>
            {
                o.SingleLine = true;
                o.TimestampFormat = "HH:mm:ss ";
            });
            logging.Services.Configure<ConsoleLoggerOptions>(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
            if (!verbose)
            {
                logging.AddFilter((category, level) => level >= LogLevel.Error && category?.StartsWith("CvmfsImages.Sync.Execution", StringComparison.Ordinal) != true);
            }
        });
        configure?.Invoke(services);
        services.AddSync(settings);
        return new CommandContext(settings, services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = false, ValidateScopes = true }));
    }

    public ValueTask DisposeAsync() => Services.DisposeAsync();
}
