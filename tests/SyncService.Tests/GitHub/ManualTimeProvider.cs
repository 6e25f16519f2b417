namespace CvmfsImages.Tests.SyncService.GitHub;

/// <summary>
/// A clock the test moves by hand. Timers fire only in <see cref="Advance"/>; <see cref="NextTimerAsync"/> lets a test
/// wait (without sleeping) until the code under test starts waiting, and see for how long.
/// </summary>
internal sealed class ManualTimeProvider(DateTimeOffset start) : TimeProvider
{
    private readonly Lock _gate = new();
    private readonly List<ManualTimer> _timers = [];
    private readonly Queue<TaskCompletionSource<TimeSpan>> _waiters = new();
    private readonly Queue<TimeSpan> _created = new();
    private DateTimeOffset _now = start;

    public override DateTimeOffset GetUtcNow()
    {
        lock (_gate)
        {
            return _now;
        }
    }

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = new ManualTimer(this, callback, state);
        TaskCompletionSource<TimeSpan>? waiter = null;
        lock (_gate)
        {
            timer.Schedule(_now, dueTime);
            _timers.Add(timer);
            if (_waiters.Count > 0)
            {
                waiter = _waiters.Dequeue();
            }
            else
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
            if (_created.Count > 0)
            {
                return Task.FromResult(_created.Dequeue());
            }

            var waiter = new TaskCompletionSource<TimeSpan>(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Enqueue(waiter);
            return waiter.Task;
        }
    }

    /// <summary>Moves the clock and fires every timer that is due.</summary>
    public void Advance(TimeSpan by)
    {
        List<ManualTimer> due;
        lock (_gate)
        {
            _now += by;
            due = [.. _timers.Where(t => t.DueAt is { } at && at <= _now)];
            foreach (var timer in due)
            {
                timer.DueAt = null;
            }
        }

        foreach (var timer in due)
        {
            timer.Fire();
        }
    }

    private void Remove(ManualTimer timer)
    {
        lock (_gate)
        {
            _timers.Remove(timer);
        }
    }

    private sealed class ManualTimer(ManualTimeProvider owner, TimerCallback callback, object? state) : ITimer
    {
        public DateTimeOffset? DueAt { get; set; }

        public void Schedule(DateTimeOffset now, TimeSpan dueTime) =>
            DueAt = dueTime == Timeout.InfiniteTimeSpan ? null : now + dueTime;

        public bool Change(TimeSpan dueTime, TimeSpan period)
        {
            lock (owner._gate)
            {
                Schedule(owner._now, dueTime);
            }

            return true;
        }

        public void Fire() => callback(state);

        public void Dispose() => owner.Remove(this);

        public ValueTask DisposeAsync()
        {
            Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
