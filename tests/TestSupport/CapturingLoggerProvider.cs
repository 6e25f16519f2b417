using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace CvmfsImages.TestSupport;

/// <summary>
/// Collects every log line (level, category, event id, message and exception), so tests can assert what was logged
/// and that no secret was. Use it as a provider of a service container (<see cref="Register"/>, which lets Trace
/// through to it alone) or directly as the <see cref="ILoggerFactory"/> of a component that takes one.
/// </summary>
public sealed class CapturingLoggerProvider : ILoggerProvider, ILoggerFactory
{
    private readonly StringBuilder _text = new();

    /// <summary>Every line logged so far.</summary>
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
    public void Register(IServiceCollection services) =>
        services.AddLogging(logging =>
        {
            logging.AddProvider(this);
            logging.AddFilter<CapturingLoggerProvider>(null, LogLevel.Trace);
        });

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    /// <summary>As a factory it has exactly one provider, itself.</summary>
    public void AddProvider(ILoggerProvider provider) =>
        throw new NotSupportedException("CapturingLoggerProvider as an ILoggerFactory has no other providers");

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
