using System.Text;
using Microsoft.Extensions.Logging;

namespace CvmfsImages.Tests.RegistryClient;

/// <summary>A logger factory collecting every line (message and exception), so tests can assert no secret was logged.</summary>
internal sealed class ListLoggerProvider : ILoggerFactory
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

    public ILogger CreateLogger(string categoryName) => new Logger(this);

    public void AddProvider(ILoggerProvider provider)
    {
    }

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

    private sealed class Logger(ListLoggerProvider owner) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            owner.Append($"{logLevel} {eventId.Id} {formatter(state, exception)} {exception}");
    }
}
