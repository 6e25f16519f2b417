using CvmfsImages.Registry;

namespace CvmfsImages.Sync.Planning;

/// <summary>
/// Picks the tags a glob line stands for from a registry's full tag list: the matching ones, and with a
/// <c>cap</c> at most that many, keeping the highest in version-aware order (<c>1.10</c> after <c>1.9</c>) when it must cut.
/// </summary>
internal static class GlobExpansion
{
    /// <summary>The selected tags (in version order) and how many matched (more than selected when the cap cut some).</summary>
    public static (IReadOnlyList<string> Tags, int Matched) Expand(string pattern, IEnumerable<string> tags, int? cap)
    {
        var (selected, skipped) = Select(pattern, tags, cap);
        return (selected, selected.Count + skipped.Count);
    }

    /// <summary>The selected tags and those the cap skipped (the lower ones), both in version order.</summary>
    public static (IReadOnlyList<string> Selected, IReadOnlyList<string> Skipped) Select(string pattern, IEnumerable<string> tags, int? cap)
    {
        ArgumentNullException.ThrowIfNull(pattern);
        ArgumentNullException.ThrowIfNull(tags);
        if (cap is { } c)
        {
            ArgumentOutOfRangeException.ThrowIfNegativeOrZero(c);
        }

        var matching = tags.Where(t => TagGlob.IsMatch(pattern, t)).Distinct(StringComparer.Ordinal).ToList();
        matching.Sort(VersionOrder.Instance);
        return cap is not { } limit || matching.Count <= limit
            ? (matching, [])
            : (matching.GetRange(matching.Count - limit, limit), matching.GetRange(0, matching.Count - limit));
    }
}
