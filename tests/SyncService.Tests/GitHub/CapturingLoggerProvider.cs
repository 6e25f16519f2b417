using System.Text;
using Microsoft.Extensions.Logging;

namespace CvmfsImages.Tests.SyncService.GitHub;

/// <summary>
/// Collects every log line (level, event id, message and exception) of a service container, so tests can assert
/// that no secret is logged. Register it with <c>AddSingleton&lt;ILoggerProvider&gt;</c> and
/// <see cref="Register"/>'s filter, which lets Trace through to it alone.
/// </summary>
internal sealed class CapturingLoggerProvider : ILoggerProvider
{
    private readonly StringBuilder _text = new();

    public string Text
    {
        get
        {
            lock (_text)
            {
                return _text.ToString();
            }
        }
    }

    /// <summary>Adds this provider to <paramref name="services"/>, receiving every level (other providers keep their filters).</summary>
    public void Register(Microsoft.Extensions.DependencyInjection.IServiceCollection services) =>
        Microsoft.Extensions.DependencyInjection.LoggingServiceCollectionExtensions.AddLogging(services, logging =>
        {
            logging.AddProvider(this);
            logging.AddFilter<CapturingLoggerProvider>(null, LogLevel.Trace);
        });

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose()
    {
    }

    private void Append(string line)
    {
        lock (_text)
        {
            _text.AppendLine(line);
        }
    }

    private sealed class Logger(CapturingLoggerProvider owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            owner.Append($"{logLevel} {category} {eventId.Id} {formatter(state, exception)} {exception}");
    }
}
