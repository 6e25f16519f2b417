using CvmfsImages.Publisher.Publishing;
using CvmfsImages.Registry;
using CvmfsImages.Registry.Names;
using CvmfsImages.Sync.Lists;

namespace CvmfsImages.Sync.Planning;

/// <summary>
/// Turns concrete references (plain lines and expanded globs) into targets, one per platform, and refuses what would
/// collide: two references at one path (the earlier line keeps it), and references the layout cannot place.
/// The first platform is primary and gets the plain path; others get <c>&lt;path&gt;@&lt;os&gt;-&lt;arch&gt;[-&lt;variant&gt;]</c>.
/// </summary>
internal static class TargetBuilder
{
    public static (IReadOnlyList<SyncTarget> Targets, IReadOnlyList<FailDecision> Refused) Build(
        IEnumerable<(ListEntry Entry, ImageReference Reference)> concrete,
        IReadOnlyList<Platform> platforms,
        PathStyle style)
    {
        ArgumentNullException.ThrowIfNull(concrete);
        ArgumentNullException.ThrowIfNull(platforms);
        if (platforms.Count == 0)
        {
            throw new ArgumentException("at least one platform is needed", nameof(platforms));
        }

        var targets = new List<SyncTarget>();
        var refused = new List<FailDecision>();
        var byPath = new TagPathClaims<SyncTarget>();
        var seen = new HashSet<ImageReference>();
        foreach (var (entry, reference) in concrete)
        {
            // The same reference from a plain line and a glob (or two globs) is one target: the first line keeps it.
            if (!seen.Add(reference))
            {
                continue;
            }

            for (var i = 0; i < platforms.Count; i++)
            {
                var platform = platforms[i];
                var suffix = i == 0 ? null : RepositoryLayout.PlatformSuffix(platform.Os, platform.Architecture, platform.Variant);
                string path;
                try
                {
                    path = PathOf(reference, style, suffix);
                }
                catch (ArgumentException ex)
                {
                    refused.Add(new FailDecision(new SyncTarget(string.Empty, reference, platform, entry), $"no repository path for it: {ex.Message}"));
                    continue;
                }

                var target = new SyncTarget(path, reference, platform, entry);
                if (!byPath.TryClaim(path, target, out var first))
                {
                    refused.Add(new FailDecision(
                        target,
                        $"'{reference}' (line {entry.LineNumber}) and '{first.Reference}' (line {first.Entry.LineNumber}) would both be published at '{path}'; the earlier line keeps it"));
                    continue;
                }

                targets.Add(target);
            }
        }

        return (targets, refused);
    }

    /// <summary>The repository path of a concrete reference for a platform suffix (null: primary).</summary>
    public static string PathOf(ImageReference reference, PathStyle style, string? platformSuffix) =>
        RepositoryLayout.TagPath(reference.Registry, reference.Path, reference.Tag, reference.Digest?.ToString(), style, platformSuffix);

    /// <summary>
    /// A test for published paths that belong to a glob line (its repository, a tag matching the glob, any platform
    /// suffix): such paths are kept when the glob could not be expanded or is outside this sync's scope.
    /// </summary>
    public static Func<string, bool> GlobCovers(ListEntry glob, PathStyle style)
    {
        ArgumentNullException.ThrowIfNull(glob);
        const string probe = "probe";
        var probePath = RepositoryLayout.TagPath(glob.Reference.Registry, glob.Reference.Path, probe, null, style);
        var prefix = probePath[..^probe.Length];
        var pattern = glob.TagPattern ?? "*";
        return path =>
        {
            if (!path.StartsWith(prefix, StringComparison.Ordinal))
            {
                return false;
            }

            var tag = path[prefix.Length..];
            var at = tag.IndexOf('@', StringComparison.Ordinal);
            if (at >= 0)
            {
                tag = tag[..at];
            }

            return tag.Length > 0 && !tag.Contains('/', StringComparison.Ordinal) && TagGlob.IsMatch(pattern, tag);
        };
    }
}
