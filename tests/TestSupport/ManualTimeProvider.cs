using Microsoft.Extensions.Time.Testing;

namespace CvmfsImages.TestSupport;

/// <summary>
/// A clock the test moves by hand: <see cref="FakeTimeProvider"/> (timers fire only in <see cref="FakeTimeProvider.Advance"/>;
/// <see cref="TimeProvider.GetTimestamp"/> follows the same clock, so elapsed-time bounds do too), plus
/// <see cref="NextTimerAsync"/>, which lets a test wait, without sleeping, until the code under test starts waiting,
/// and see for how long.
/// </summary>
public sealed class ManualTimeProvider(DateTimeOffset start) : FakeTimeProvider(start)
{
    private readonly Lock _gate = new();
    private readonly Queue<TaskCompletionSource<TimeSpan>> _waiters = new();
    private readonly Queue<TimeSpan> _created = new();

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        // Created first, announced after: a test that advances the clock on the announcement fires this timer.
        var timer = base.CreateTimer(callback, state, dueTime, period);
        TaskCompletionSource<TimeSpan>? waiter = null;
        lock (_gate)
        {
            if (!_waiters.TryDequeue(out waiter))
            {
                _created.Enqueue(dueTime);
            }
        }

        waiter?.TrySetResult(dueTime);
        return timer;
    }

    /// <summary>Completes when the next timer is created (or at once for one created since the last call): its due time.</summary>
    public Task<TimeSpan> NextTimerAsync()
    {
        lock (_gate)
        {
            if (_created.TryDequeue(out var dueTime))
            {
                return Task.FromResult(dueTime);
            }

            var waiter = new TaskCompletionSource<TimeSpan>(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Enqueue(waiter);
            return waiter.Task;
        }
    }
}
