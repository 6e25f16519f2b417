using CvmfsImages.Registry;

namespace CvmfsImages.Sync.Planning;

/// <summary>
/// Picks the tags a glob line stands for from a registry's full tag list: the matching ones, at most
/// <c>cap</c>, keeping the highest in version-aware order (<c>1.10</c> after <c>1.9</c>) when it must cut.
/// </summary>
internal static class GlobExpansion
{
    /// <summary>The selected tags (in version order) and whether the cap cut some.</summary>
    public static (IReadOnlyList<string> Tags, int Matched) Expand(string pattern, IEnumerable<string> tags, int cap)
    {
        ArgumentNullException.ThrowIfNull(pattern);
        ArgumentNullException.ThrowIfNull(tags);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(cap);
        var matching = tags.Where(t => TagGlob.IsMatch(pattern, t)).Distinct(StringComparer.Ordinal).ToList();
        matching.Sort(VersionOrder.Instance);
        var selected = matching.Count <= cap ? matching : matching.GetRange(matching.Count - cap, cap);
        return (selected, matching.Count);
    }
}
