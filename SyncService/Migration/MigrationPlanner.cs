using CvmfsImages.Publisher.Publishing;
using CvmfsImages.Sync.Execution;
using CvmfsImages.Sync.Planning;

namespace CvmfsImages.Sync.Migration;

/// <summary>Describes a pass's plan over a repository OSG's script built, tag by tag and directory by directory. No I/O.</summary>
internal static class MigrationPlanner
{
    public static MigrationReport Describe(PassPlan plan, IReadOnlyList<string> removals, IReadOnlyList<ImageResult> failures, IReadOnlyList<string> warnings, TimeSpan gracePeriod, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(removals);
        ArgumentNullException.ThrowIfNull(failures);
        var published = plan.Published;
        var tags = new List<MigrationTag>();
        var after = new Dictionary<string, string>(published.Tags, StringComparer.Ordinal);
        var adopted = new HashSet<string>(StringComparer.Ordinal);
        var pulled = new HashSet<string>(StringComparer.Ordinal);
        long bytes = 0;
        foreach (var decision in plan.Decisions)
        {
            var target = decision.Target;
            switch (decision)
            {
                case KeepDecision keep:
                    tags.Add(Tag(target, "current", "already published by this service", keep.ConfigDigest, 0));
                    break;
                case AdoptDecision adopt:
                    adopted.Add(adopt.ImageKey);
                    after[target.TagPath] = adopt.ImageKey;
                    tags.Add(Tag(target, "adopt", "OSG's directory holds these layers: our metadata is written for it, no download", adopt.ImageKey, 0));
                    break;
                case ReuseDecision reuse:
                    after[target.TagPath] = reuse.ConfigDigest;
                    tags.Add(Tag(target, "reuse", "an image already in the repository serves it: no download", reuse.ConfigDigest, 0));
                    break;
                case PullDecision pull:
                    var size = pulled.Add(pull.ConfigDigest) ? pull.Image.CompressedSize : 0;
                    bytes += size;
                    after[target.TagPath] = pull.ConfigDigest;
                    tags.Add(Tag(target, "republish", Why(pull, published), pull.ConfigDigest, size));
                    break;
                case FailDecision fail:
                    tags.Add(new MigrationTag(target.TagPath, target.ReferenceText, target.Entry.LineNumber, "failed", fail.Reason + "; what is published there stays", null, 0));
                    break;
                default:
                    break;
            }
        }

        foreach (var failure in failures.Where(f => f.Outcome == ImageOutcome.Failed && !tags.Any(t => t.LineNumber == f.LineNumber && t.Reference == f.Reference)))
        {
            tags.Add(new MigrationTag(failure.TagPath ?? string.Empty, failure.Reference, failure.LineNumber, "failed", failure.Detail ?? "failed", null, 0));
        }

        foreach (var path in removals)
        {
            tags.Add(new MigrationTag(path, path, 0, "unlink", "no list line names it: the link goes, the image waits out the grace period", Directory(published.Tags[path]), 0));
            after.Remove(path);
        }

        var referencedAfter = after.Values.ToHashSet(StringComparer.Ordinal);
        var foreign = new List<MigrationForeign>();
        foreach (var (key, image) in published.Foreign)
        {
            if (adopted.Contains(key))
            {
                foreign.Add(new MigrationForeign(image.Directory, "adopted", null, null));
            }
            else if (referencedAfter.Contains(key))
            {
                foreign.Add(new MigrationForeign(image.Directory, "linked", null, null));
            }
            else
            {
                // Unlinked by this migration: its clock starts when the pass moves its last tag.
                var since = image.UnreferencedSince ?? (image.Referenced ? now : null);
                foreign.Add(new MigrationForeign(image.Directory, "unreferenced", since, since + gracePeriod));
            }
        }

        return new MigrationReport([.. tags.OrderBy(t => t.TagPath, StringComparer.Ordinal)], foreign, bytes, warnings);

        static MigrationTag Tag(SyncTarget target, string action, string detail, string key, long size) =>
            new(target.TagPath, target.ReferenceText, target.Entry.LineNumber, action, detail, Directory(key), size);
    }

    private static string? Directory(string key) => RepositoryLayout.IsImageKey(key) ? RepositoryLayout.ImageDirectory(key) : null;

    /// <summary>Why an image is pulled rather than adopted.</summary>
    internal static string Why(PullDecision pull, PublishedState published)
    {
        var target = pull.Target;
        var top = pull.TopDigest.ToString();
        var isIndex = pull.Image.TopDigest != pull.Image.ManifestDigest;
        var osgKey = OsgAdoption.KeyOf(pull.Image, target.Platform);
        if (!published.Tags.TryGetValue(target.TagPath, out var current))
        {
            return isIndex && osgKey is null
                ? $"not published yet; platform {target.PlatformText}: OSG's directory for a manifest list holds linux/amd64 only"
                : "not published yet: no OSG directory holds these layers";
        }

        if (published.Foreign.ContainsKey(current))
        {
            if (osgKey is null)
            {
                return $"platform {target.PlatformText}: OSG's directory for the manifest list {top} holds linux/amd64 only";
            }

            return isIndex
                ? $"manifest list: {top} is not the list OSG built {RepositoryLayout.ImageDirectory(current)} from (digest moved upstream)"
                : $"digest moved upstream: the layers of {top} are not those of {RepositoryLayout.ImageDirectory(current)}";
        }

        return published.Images.TryGetValue(current, out var metadata) && metadata.Platform != target.PlatformText
            ? $"platform: the published image is {metadata.Platform}, not {target.PlatformText}"
            : $"changed upstream: {top} is not the published image";
    }
}
