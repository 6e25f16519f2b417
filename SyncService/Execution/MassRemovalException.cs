using System.Globalization;

namespace CvmfsImages.Sync.Execution;

/// <summary>
/// A pass would remove more of the published tags than <c>Sync:MaxRemovalPercent</c> allows (a truncated list from a
/// bad merge, a list file replaced by one line). The pass stopped before it changed anything; <c>sync --once
/// --allow-mass-removal</c> (or <c>Sync:AllowMassRemoval</c>) lets such a pass go through.
/// </summary>
public sealed class MassRemovalException : Exception
{
    public MassRemovalException()
        : this("the pass would remove too many published tags")
    {
    }

    public MassRemovalException(string message)
        : this(message, null)
    {
    }

    public MassRemovalException(string message, Exception? innerException)
        : base(message, innerException)
    {
        Paths = [];
    }

    public MassRemovalException(string listSource, IReadOnlyList<string> paths, int published, int maxPercent)
        : base(Describe(listSource, paths, published, maxPercent))
    {
        Paths = paths;
        Published = published;
        MaxPercent = maxPercent;
    }

    /// <summary>The tag paths the pass would have removed.</summary>
    public IReadOnlyList<string> Paths { get; }

    /// <summary>How many tags were published.</summary>
    public int Published { get; }

    /// <summary><c>Sync:MaxRemovalPercent</c>.</summary>
    public int MaxPercent { get; }

    private static string Describe(string listSource, IReadOnlyList<string> paths, int published, int maxPercent)
    {
        var shown = string.Join(", ", paths.Take(5)) + (paths.Count > 5 ? ", ..." : string.Empty);
        return string.Create(CultureInfo.InvariantCulture,
            $"{listSource} would remove {paths.Count} of the {published} published tags ({100.0 * paths.Count / published:0} %) in one pass, more than Sync:MaxRemovalPercent ({maxPercent} %) allows: nothing was published or removed. Check the list; if the removals are intended, run `sync --once --allow-mass-removal` (or set Sync:MaxRemovalPercent). Would remove: {shown}");
    }
}
