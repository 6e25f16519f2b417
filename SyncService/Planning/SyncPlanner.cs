using CvmfsImages.Publisher.Publishing;
using CvmfsImages.Registry;
using CvmfsImages.Registry.Names;

namespace CvmfsImages.Sync.Planning;

/// <summary>
/// The sync planner: pure functions from desired state (targets and what their references resolve to) and published
/// state (what the repository says) to decisions. No I/O, so tables of states test it completely.
/// <list type="bullet">
/// <item>A target whose path already names an image that lists the resolved top digest among its sources, for the same
/// platform, is kept: one HEAD, nothing else.</item>
/// <item>A top digest some published image already lists (another tag, an earlier sync) reuses that image.</item>
/// <item>Otherwise the platform manifest is fetched (<see cref="Complete"/>): a config digest already published reuses
/// it (only metadata and the tag change: a new index around an unchanged image), else the image is pulled.</item>
/// <item>A failed resolution keeps what is published at that path.</item>
/// <item>Published paths that no target wants are removed, except protected ones (failed globs, lines outside the
/// scope of this sync) and except when removals are not allowed (a list with problems).</item>
/// </list>
/// </summary>
internal static class SyncPlanner
{
    /// <summary>Decides each target from its resolution and the published state.</summary>
    public static IReadOnlyList<TargetDecision> Plan(
        IReadOnlyList<SyncTarget> targets,
        IReadOnlyDictionary<ImageReference, ResolveOutcome> resolutions,
        PublishedState published)
    {
        ArgumentNullException.ThrowIfNull(targets);
        ArgumentNullException.ThrowIfNull(resolutions);
        ArgumentNullException.ThrowIfNull(published);

        var bySource = IndexBySource(published);
        var decisions = new List<TargetDecision>(targets.Count);
        foreach (var target in targets)
        {
            if (!resolutions.TryGetValue(target.Reference, out var outcome))
            {
                decisions.Add(new FailDecision(target, "the reference was not resolved"));
                continue;
            }

            if (outcome.TopDigest is not { } top)
            {
                decisions.Add(new FailDecision(target, outcome.Error ?? "the reference did not resolve"));
                continue;
            }

            var topText = top.ToString();
            if (published.Tags.TryGetValue(target.TagPath, out var current)
                && published.Images.TryGetValue(current, out var metadata)
                && string.Equals(metadata.Platform, target.PlatformText, StringComparison.Ordinal)
                && (metadata.SourceDigests.Contains(topText) || string.Equals(metadata.ManifestDigest, topText, StringComparison.Ordinal)))
            {
                decisions.Add(new KeepDecision(target, current));
            }
            else if (bySource.TryGetValue((topText, target.PlatformText), out var known))
            {
                decisions.Add(new ReuseDecision(target, top, known));
            }
            else
            {
                decisions.Add(new FetchManifestDecision(target, top));
            }
        }

        return decisions;
    }

    /// <summary>Decides a target whose platform manifest and config were fetched: reuse a published image or pull.</summary>
    public static TargetDecision Complete(FetchManifestDecision fetch, ResolvedImage image, PublishedState published)
    {
        ArgumentNullException.ThrowIfNull(fetch);
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(published);
        var config = image.Config.Digest.ToString();
        if (published.Images.TryGetValue(config, out var metadata)
            && string.Equals(metadata.Platform, fetch.Target.PlatformText, StringComparison.Ordinal))
        {
            return new ReuseDecision(fetch.Target, fetch.TopDigest, config);
        }

        // An image adopted in place is published under its OSG directory's key, not its config digest.
        foreach (var (key, adopted) in published.Images)
        {
            if (adopted.AdoptedFrom is not null && string.Equals(adopted.ConfigDigest, config, StringComparison.Ordinal)
                && string.Equals(adopted.Platform, fetch.Target.PlatformText, StringComparison.Ordinal))
            {
                return new ReuseDecision(fetch.Target, fetch.TopDigest, key);
            }
        }

        return new PullDecision(fetch.Target, fetch.TopDigest, image);
    }

    /// <summary>
    /// Published tag paths that no target wants and no protection covers. Nothing at all when
    /// <paramref name="allowRemovals"/> is false.
    /// </summary>
    public static IReadOnlyList<string> Removals(
        PublishedState published,
        IReadOnlyList<SyncTarget> targets,
        Func<string, bool> isProtected,
        bool allowRemovals)
    {
        ArgumentNullException.ThrowIfNull(published);
        ArgumentNullException.ThrowIfNull(targets);
        ArgumentNullException.ThrowIfNull(isProtected);
        if (!allowRemovals)
        {
            return [];
        }

        var wanted = new HashSet<string>(targets.Select(t => t.TagPath), StringComparer.Ordinal);
        return [.. published.Tags.Keys.Where(path => !wanted.Contains(path) && !isProtected(path)).Order(StringComparer.Ordinal)];
    }

    /// <summary>
    /// Whether removing <paramref name="removals"/> of <paramref name="published"/> tags in one pass is a mass removal:
    /// more than <paramref name="maxPercent"/> % of them and more than one, or every one of them. One tag at a time is
    /// ordinary list maintenance; a list that would empty the repository or drop a large share of it is more likely
    /// truncated (a bad merge) than meant.
    /// </summary>
    public static bool IsMassRemoval(int removals, int published, int maxPercent)
    {
        if (removals <= 0 || published <= 0)
        {
            return false;
        }

        return removals >= published || (removals > 1 && 100L * removals > (long)maxPercent * published);
    }

    /// <summary>(top digest, platform) -> config digest of a published image that lists it.</summary>
    private static Dictionary<(string Digest, string Platform), string> IndexBySource(PublishedState published)
    {
        var index = new Dictionary<(string, string), string>();
        foreach (var (config, metadata) in published.Images)
        {
            index.TryAdd((metadata.ManifestDigest, metadata.Platform), config);
            foreach (var source in metadata.SourceDigests)
            {
                index.TryAdd((source, metadata.Platform), config);
            }
        }

        return index;
    }
}
