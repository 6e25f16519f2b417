using CvmfsImages.Sync.Lists;

namespace CvmfsImages.Sync.Execution;

/// <summary>
/// Which list lines a sync resolves. Lines outside the scope are neither resolved nor touched: their published paths
/// stay. A full sync has every line in scope; a list change syncs the lines that changed.
/// </summary>
public sealed record SyncScope(string Name, Func<ListEntry, bool> Includes)
{
    public static SyncScope Full { get; } = new("full", _ => true);

    /// <summary>The lines of <paramref name="current"/> that were not in <paramref name="previous"/> (by canonical key).</summary>
    public static SyncScope Changed(ImageList? previous, ImageList current)
    {
        ArgumentNullException.ThrowIfNull(current);
        if (previous is null)
        {
            return Full;
        }

        var before = new HashSet<string>(previous.Entries.Select(e => e.Key), StringComparer.Ordinal);
        return new SyncScope("list change", e => !before.Contains(e.Key));
    }
}
