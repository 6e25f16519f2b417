using CvmfsImages.Registry.Names;
using CvmfsImages.Sync.Lists;
using CvmfsImages.Sync.Planning;
using Microsoft.Extensions.Logging;

namespace CvmfsImages.Sync.Execution;

/// <summary>Glob lines: which tags a pass works on, and which published paths a cap must not take away.</summary>
internal sealed partial class SyncEngine
{
    /// <summary>
    /// The references a glob line stands for in this pass. A tag the registry lists that is no valid tag name is
    /// refused alone, with a warning naming it. Tags beyond <c>Sync:MaxTagsPerGlob</c> are skipped (no new work) and
    /// their paths protected: what is already published there stays published. Both are counted in the warnings.
    /// </summary>
    private (IReadOnlyList<ImageReference> Selected, int Matched) SelectTags(ListEntry glob, IReadOnlyList<string> tags, SyncRun run, PathProtection protection, Lock gate)
    {
        var valid = new List<string>(tags.Count);
        var refused = 0;
        foreach (var tag in tags)
        {
            if (ImageReference.ValidateTag(tag, out var reason))
            {
                valid.Add(tag);
                continue;
            }

            refused++;
            if (refused <= 5)
            {
                var printable = Printable(tag);
                LogHostileTag(_logger, glob.LineNumber, glob.Text, printable, reason);
                run.Warn($"line {glob.LineNumber}: '{glob.Text}': the registry lists the tag '{printable}', which is not a valid tag ({reason}); it is skipped");
            }
        }

        if (refused > 5)
        {
            run.Warn($"line {glob.LineNumber}: '{glob.Text}': {refused - 5} more invalid tag name(s) skipped");
        }

        var (selected, skipped) = GlobExpansion.Select(glob.TagPattern!, valid, _options.MaxTagsPerGlob);
        if (skipped.Count > 0)
        {
            lock (gate)
            {
                foreach (var tag in skipped)
                {
                    Protect(protection, ImageReference.ForTag(glob.Repository, tag));
                }
            }

            LogGlobCut(_logger, glob.LineNumber, glob.Text, selected.Count + skipped.Count, selected.Count);
            run.Warn($"line {glob.LineNumber}: '{glob.Text}' matches {selected.Count + skipped.Count} tags; only the {selected.Count} highest are synced (Sync:MaxTagsPerGlob), {skipped.Count} skipped (those already published stay published)");
        }

        return ([.. selected.Select(tag => ImageReference.ForTag(glob.Repository, tag))], selected.Count + skipped.Count);
    }

    /// <summary>Protects every platform's path of one concrete reference from removal in this pass.</summary>
    private void Protect(PathProtection protection, ImageReference reference)
    {
        for (var i = 0; i < _platforms.Count; i++)
        {
            try
            {
                protection.Add(TargetBuilder.PathOf(reference, _style, i == 0 ? null : Suffix(_platforms[i])));
            }
            catch (ArgumentException)
            {
                // A reference the layout cannot place has no published path to keep.
            }
        }
    }

    private static string Printable(string text)
    {
        var cut = text.Length > 80 ? text[..80] + "..." : text;
        return string.Concat(cut.Select(c => char.IsControl(c) || char.IsSurrogate(c) ? $"\\u{(int)c:x4}" : c.ToString()));
    }

    [LoggerMessage(EventId = 5051, Level = LogLevel.Warning, Message = "Line {LineNumber} '{Line}': the registry lists the tag '{Tag}', which is not a valid tag ({Reason}); it is skipped")]
    private static partial void LogHostileTag(ILogger logger, int lineNumber, string line, string tag, string reason);
}
