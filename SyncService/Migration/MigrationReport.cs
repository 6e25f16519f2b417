namespace CvmfsImages.Sync.Migration;

/// <summary>What <c>migrate</c> does (or, with <c>--dry-run</c>, would do) to a repository OSG's script built.</summary>
/// <param name="Tags">One entry per listed path and per path to unlink, in path order.</param>
/// <param name="Foreign">OSG's image directories (no metadata of ours) and what becomes of each.</param>
/// <param name="BytesToPull">Compressed bytes to download (config and layers of each image to republish, once per image).</param>
/// <param name="Warnings">What the pass warned about (glob caps, hostile tag names, a list with problems).</param>
internal sealed record MigrationReport(
    IReadOnlyList<MigrationTag> Tags,
    IReadOnlyList<MigrationForeign> Foreign,
    long BytesToPull,
    IReadOnlyList<string> Warnings)
{
    public int Count(string action) => Tags.Count(t => t.Action == action);
}

/// <summary>One path.</summary>
/// <param name="TagPath">The path under the repository root.</param>
/// <param name="Reference">The reference it is published for (for <c>unlink</c>, the path).</param>
/// <param name="LineNumber">The list line (0 for <c>unlink</c>).</param>
/// <param name="Action">
/// <c>current</c> (already ours), <c>adopt</c> (OSG's directory becomes the published image: no download),
/// <c>reuse</c> (an image already here serves it: no download), <c>republish</c> (pulled: <paramref name="Detail"/>
/// says why), <c>unlink</c> (no list line names it), <c>failed</c> (what is there stays).
/// </param>
/// <param name="Detail">Why, in words.</param>
/// <param name="ImageDirectory">The image directory the path points at afterwards (for <c>unlink</c>: before).</param>
/// <param name="BytesToPull">Compressed bytes this path's image costs to pull (counted once per image).</param>
internal sealed record MigrationTag(string TagPath, string Reference, int LineNumber, string Action, string Detail, string? ImageDirectory, long BytesToPull);

/// <summary>One of OSG's image directories.</summary>
/// <param name="Directory">Relative to the root: <c>.images/xx/yyyy</c> or <c>.images/sha256:xx/yyyy</c>.</param>
/// <param name="State"><c>adopted</c>, <c>linked</c> (a tag still points at it), or <c>unreferenced</c>.</param>
/// <param name="UnreferencedSince">When GC counts its grace period from (OSG's <c>.missing_links.json</c> or this service's record); null when not yet known.</param>
/// <param name="RemovableFrom">The earliest time <c>gc</c> removes it; null while linked or adopted, or not yet seen unreferenced (then: the grace period after the first <c>gc</c> that sees it).</param>
internal sealed record MigrationForeign(string Directory, string State, DateTimeOffset? UnreferencedSince, DateTimeOffset? RemovableFrom);
