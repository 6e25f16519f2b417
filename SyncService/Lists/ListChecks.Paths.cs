using CvmfsImages.Publisher.Publishing;

namespace CvmfsImages.Sync.Lists;

public static partial class ListChecks
{
    /// <summary>
    /// Duplicates (the same image named twice, however spelled) and path collisions (two references published at one
    /// path under <paramref name="style"/>), each with both line numbers. Globs take part in duplicate detection only:
    /// their paths are known after expansion, where the sync checks again.
    /// </summary>
    public static IReadOnlyList<ListProblem> FindConflicts(IReadOnlyList<ListEntry> entries, PathStyle style) =>
        FindConflicts(entries, entry => entry.IsGlob ? null : PathOf(entry, style));

    /// <summary>The repository path of a plain (non-glob) entry for the primary platform; null when the layout refuses it.</summary>
    public static string? PathOf(ListEntry entry, PathStyle style)
    {
        ArgumentNullException.ThrowIfNull(entry);
        var reference = entry.Reference;
        try
        {
            return RepositoryLayout.TagPath(reference.Registry, reference.Path, reference.Tag, reference.Digest?.ToString(), style);
        }
        catch (ArgumentException)
        {
            return null;
        }
    }
}
