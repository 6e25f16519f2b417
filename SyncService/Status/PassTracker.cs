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
    // Jobs that began, oldest first: one may be waiting for the repository while another works, so each keeps its own
    // targets and the one shown is the one that reported last (or the oldest).
    private readonly List<Job> _jobs = [];
    private Job? _shown;
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
        var entry = new Job(job, time.GetUtcNow());
        lock (_gate)
        {
            _jobs.Add(entry);
        }

        progress = new Reporter(this, entry);
        return new Ending(this, entry);
    }

    /// <summary>The running pass, or null when none runs.</summary>
    public PassSnapshot? Current()
    {
        lock (_gate)
        {
            var job = Shown();
            if (job is null)
            {
                return null;
            }

            var targets = job.Targets;
            var stages = targets.Values.GroupBy(t => t.Progress.Stage).ToDictionary(g => g.Key, g => g.Count());
            var active = targets.Values
                .Where(t => t.Progress.Stage is ImageStage.Pulling or ImageStage.Flattening or ImageStage.Publishing)
                .OrderBy(t => t.At)
                .Select(t => t.Progress)
                .ToList();
            var done = targets.Values.Count(t => IsFinal(t.Progress.Stage));
            return new PassSnapshot(job.Name, job.StartedAt, targets.Count, done, stages, active);
        }
    }

    /// <summary>The latest stage of one target in the running pass (by tag path or reference), or null.</summary>
    public ImageProgress? StageOf(string key)
    {
        lock (_gate)
        {
            return Shown() is { } job && job.Targets.TryGetValue(key, out var t) ? t.Progress : null;
        }
    }

    internal static bool IsFinal(ImageStage stage) =>
        stage is ImageStage.Current or ImageStage.Published or ImageStage.Updated or ImageStage.Removed or ImageStage.Failed;

    private Job? Shown() => _shown is not null && _jobs.Contains(_shown) ? _shown : _jobs.FirstOrDefault();

    private void Report(Job job, ImageProgress progress)
    {
        lock (_gate)
        {
            if (!_jobs.Contains(job))
            {
                return;
            }

            job.Targets[progress.TagPath ?? progress.Reference] = (progress, time.GetUtcNow());
            _shown = job;
        }
    }

    private void End(Job job)
    {
        lock (_gate)
        {
            _jobs.Remove(job);
            _passes++;
        }
    }

    private sealed class Job(string name, DateTimeOffset startedAt)
    {
        public string Name { get; } = name;

        public DateTimeOffset StartedAt { get; } = startedAt;

        public Dictionary<string, (ImageProgress Progress, DateTimeOffset At)> Targets { get; } = new(StringComparer.Ordinal);
    }

    private sealed class Reporter(PassTracker tracker, Job job) : IProgress<ImageProgress>
    {
        public void Report(ImageProgress value) => tracker.Report(job, value);
    }

    private sealed class Ending(PassTracker tracker, Job job) : IDisposable
    {
        private int _ended;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _ended, 1) == 0)
            {
                tracker.End(job);
            }
        }
    }
}

/// <summary>The running pass: its job, start, targets seen and finished, counts by stage, and the targets being worked on.</summary>
internal sealed record PassSnapshot(string Job, DateTimeOffset StartedAt, int Total, int Done, IReadOnlyDictionary<ImageStage, int> Stages, IReadOnlyList<ImageProgress> Active);
