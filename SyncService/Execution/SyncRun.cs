using CvmfsImages.Sync.Lists;
using CvmfsImages.Sync.Planning;

namespace CvmfsImages.Sync.Execution;

/// <summary>The mutable record of one pass: results, warnings, progress and failures still to announce. Thread-safe.</summary>
internal sealed class SyncRun(ImageList list, IProgress<ImageProgress>? progress)
{
    private readonly List<ImageResult> _results = [];
    private readonly List<string> _warnings = [];
    private readonly Lock _gate = new();

    public ImageList List { get; } = list;

    private readonly List<(ListEntry Entry, string Reference, string Reason)> _failures = [];

    public IReadOnlyList<ImageResult> Results
    {
        get
        {
            lock (_gate)
            {
                return [.. _results.OrderBy(r => r.LineNumber).ThenBy(r => r.TagPath, StringComparer.Ordinal)];
            }
        }
    }

    public IReadOnlyList<string> Warnings
    {
        get
        {
            lock (_gate)
            {
                return [.. _warnings];
            }
        }
    }

    public void Add(ImageResult result)
    {
        lock (_gate)
        {
            _results.Add(result);
        }
    }

    /// <summary>Remembers a failure to announce to the observers at the end of the pass.</summary>
    public void AddFailure(ListEntry entry, string reference, string reason)
    {
        lock (_gate)
        {
            _failures.Add((entry, reference, reason));
        }
    }

    public IReadOnlyList<(ListEntry Entry, string Reference, string Reason)> Failures
    {
        get
        {
            lock (_gate)
            {
                return [.. _failures];
            }
        }
    }

    public void Warn(string warning)
    {
        lock (_gate)
        {
            _warnings.Add(warning);
        }
    }

    public void Report(SyncTarget target, ImageStage stage, string? detail = null) =>
        Report(target.ReferenceText, target.TagPath.Length == 0 ? null : target.TagPath, stage, detail);

    public void Report(string reference, string? tagPath, ImageStage stage, string? detail = null) =>
        progress?.Report(new ImageProgress(reference, tagPath, stage, detail));
}
