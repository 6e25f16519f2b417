using System.Collections.Concurrent;

namespace CvmfsImages.Tests.RegistryClient;

/// <summary>
/// A clock whose timers fire at once, recording the delays asked for: backoff and Retry-After waits are asserted
/// without sleeping. <see cref="GetUtcNow"/> is fixed (plus the delays taken), so HTTP-date and epoch forms of
/// Retry-After convert to exact delays.
/// </summary>
internal sealed class ImmediateTimeProvider : TimeProvider
{
    private readonly object _gate = new();
    private DateTimeOffset _now;

    public ImmediateTimeProvider(DateTimeOffset start)
    {
        _now = start;
    }

    public ConcurrentQueue<TimeSpan> Delays { get; } = new();

    public override DateTimeOffset GetUtcNow()
    {
        lock (_gate)
        {
            return _now;
        }
    }

    public void Advance(TimeSpan by)
    {
        lock (_gate)
        {
            _now += by;
        }
    }

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        if (dueTime != Timeout.InfiniteTimeSpan)
        {
            Delays.Enqueue(dueTime);
            Advance(dueTime);
            dueTime = TimeSpan.Zero;
        }

        return System.CreateTimer(callback, state, dueTime, period);
    }
}
