using CvmfsImages.Sync.Execution;

namespace CvmfsImages.Sync.Status;

/// <summary>
/// The pass running now, as <c>serve</c>'s jobs report it (an <see cref="IProgress{T}"/> handed to the runner): which job,
/// since when, each target's latest stage. The total is the number of targets seen so far (every target is resolved
/// before any is pulled, so it is complete once pulling starts); done counts targets in a final stage. Thread-safe.
/// </summary>
internal sealed class PassTracker(TimeProvider time)
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, (ImageProgress Progress, DateTimeOffset At)> _targets = new(StringComparer.Ordinal);
    private string? _job;
    private DateTimeOffset _startedAt;
    private long _passes;

    /// <summary>How many passes have ended since the start (the page reloads when it changes).</summary>
    public long PassesEnded
    {
        get
        {
            lock (_gate)
            {
                return _passes;
            }
        }
    }

    /// <summary>Starts tracking a pass of <paramref name="job"/>; dispose the result when it ends.</summary>
    public IDisposable Begin(string job, out IProgress<ImageProgress> progress)
    {
        lock (_gate)
        {
            _job = job;
            _startedAt = time.GetUtcNow();
            _targets.Clear();
        }

        progress = new Reporter(this);
        return new Ending(this);
    }

    /// <summary>The running pass, or null when none runs.</summary>
    public PassSnapshot? Current()
    {
        lock (_gate)
        {
            if (_job is null)
            {
                return null;
            }

            var stages = _targets.Values.GroupBy(t => t.Progress.Stage).ToDictionary(g => g.Key, g => g.Count());
            var active = _targets.Values
                .Where(t => t.Progress.Stage is ImageStage.Pulling or ImageStage.Flattening or ImageStage.Publishing)
                .OrderBy(t => t.At)
                .Select(t => t.Progress)
                .ToList();
            var done = _targets.Values.Count(t => IsFinal(t.Progress.Stage));
            return new PassSnapshot(_job, _startedAt, _targets.Count, done, stages, active);
        }
    }

    /// <summary>The latest stage of one target in the running pass (by tag path or reference), or null.</summary>
    public ImageProgress? StageOf(string key)
    {
        lock (_gate)
        {
            return _job is not null && _targets.TryGetValue(key, out var t) ? t.Progress : null;
        }
    }

    internal static bool IsFinal(ImageStage stage) =>
        stage is ImageStage.Current or ImageStage.Published or ImageStage.Updated or ImageStage.Removed or ImageStage.Failed;

    private void Report(ImageProgress progress)
    {
        lock (_gate)
        {
            if (_job is null)
            {
                return;
            }

            _targets[progress.TagPath ?? progress.Reference] = (progress, time.GetUtcNow());
        }
    }

    private void End()
    {
        lock (_gate)
        {
            _job = null;
            _targets.Clear();
            _passes++;
        }
    }

    private sealed class Reporter(PassTracker tracker) : IProgress<ImageProgress>
    {
        public void Report(ImageProgress value) => tracker.Report(value);
    }

    private sealed class Ending(PassTracker tracker) : IDisposable
    {
        private int _ended;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _ended, 1) == 0)
            {
                tracker.End();
            }
        }
    }
}

/// <summary>The running pass: its job, start, targets seen and finished, counts by stage, and the targets being worked on.</summary>
internal sealed record PassSnapshot(string Job, DateTimeOffset StartedAt, int Total, int Done, IReadOnlyDictionary<ImageStage, int> Stages, IReadOnlyList<ImageProgress> Active);
