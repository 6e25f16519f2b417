using CvmfsImages.Sync.Execution;
using Spectre.Console;

namespace CvmfsImages.Sync.CommandLine;

/// <summary>
/// Per-image progress on the terminal, one line per step that does work (resolving failures, pull, flatten,
/// publish, removal). Current images are only counted (a list of thousands stays readable); the summary lists them.
/// Synchronous and locked: lines from concurrent images never interleave.
/// </summary>
internal sealed class ConsoleProgress(IAnsiConsole console) : IProgress<ImageProgress>
{
    private readonly Lock _gate = new();
    private int _resolving;
    private int _current;

    public void Report(ImageProgress value)
    {
        ArgumentNullException.ThrowIfNull(value);
        lock (_gate)
        {
            switch (value.Stage)
            {
                case ImageStage.Resolving:
                    _resolving++;
                    return;
                case ImageStage.Current:
                    _current++;
                    return;
                default:
                    break;
            }

            var (word, color) = value.Stage switch
            {
                ImageStage.Pulling => ("pull", "blue"),
                ImageStage.Flattening => ("flatten", "blue"),
                ImageStage.Publishing => ("publish", "blue"),
                ImageStage.Published => ("published", "green"),
                ImageStage.Updated => ("updated", "green"),
                ImageStage.Removed => ("removed", "yellow"),
                ImageStage.Failed => ("FAILED", "red"),
                _ => (value.Stage.ToString().ToLowerInvariant(), "grey"),
            };
            var detail = value.Detail is null ? string.Empty : " [grey]" + Markup.Escape(value.Detail) + "[/]";
            console.MarkupLine($"  [{color}]{word,-9}[/] {Markup.Escape(value.Reference)}{detail}");
        }
    }

    public int Resolved
    {
        get
        {
            lock (_gate)
            {
                return _resolving;
            }
        }
    }
}
