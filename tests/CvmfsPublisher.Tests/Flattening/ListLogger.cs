using Microsoft.Extensions.Logging;

namespace CvmfsImages.Tests.CvmfsPublisher.Flattening;

/// <summary>A logger that keeps every event (id, level, message), for asserting what was reported and how often.</summary>
internal sealed class ListLogger<T> : ILogger<T>
{
    private readonly List<(int Id, LogLevel Level, string Message)> _events = [];

    public IReadOnlyList<(int Id, LogLevel Level, string Message)> Events
    {
        get
        {
            lock (_events)
            {
                return _events.ToList();
            }
        }
    }

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        lock (_events)
        {
            _events.Add((eventId.Id, logLevel, formatter(state, exception)));
        }
    }
}
