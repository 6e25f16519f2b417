using CvmfsImages.Publisher.Flattening;
using CvmfsImages.Publisher.Publishing;
using CvmfsImages.Sync.Planning;

namespace CvmfsImages.Sync.Execution;

/// <summary>
/// Turns decisions into repository changes: one <see cref="AddImage"/> per new image (sources merged over every tag
/// that resolved to it), a <see cref="SetTag"/> where a path must point elsewhere, one merged
/// <see cref="UpdateMetadata"/> per existing image that gained a source.
/// </summary>
internal sealed class ChangeSet(PublishedState published, TimeProvider time)
{
    private readonly Dictionary<string, SourceUpdate> _updates = new(StringComparer.Ordinal);
    private readonly List<(ReuseDecision Decision, bool TagMoves)> _reuses = [];
    private readonly Dictionary<string, SourceUpdate> _adoptions = new(StringComparer.Ordinal);
    private readonly List<(AdoptDecision Decision, bool TagMoves)> _adopts = [];

    public IReadOnlyList<(ReuseDecision Decision, bool TagMoves)> Reuses => _reuses;

    /// <summary>Targets adopted in place from OSG's image directories, and whether their tag moves.</summary>
    public IReadOnlyList<(AdoptDecision Decision, bool TagMoves)> Adoptions => _adopts;

    /// <summary>
    /// Adopts OSG's directory for a target in place: one <see cref="AdoptImage"/> per directory (sources merged over
    /// every target that resolved to it) and a tag move where the path points elsewhere.
    /// </summary>
    public void Adopt(AdoptDecision adopt)
    {
        ArgumentNullException.ThrowIfNull(adopt);
        var moves = !published.Tags.TryGetValue(adopt.Target.TagPath, out var current) || current != adopt.ImageKey;
        _adopts.Add((adopt, moves));
        var top = adopt.TopDigest.ToString();
        if (_adoptions.TryGetValue(adopt.ImageKey, out var update))
        {
            update.Add(top, adopt.Target.ReferenceText);
            return;
        }

        _adoptions[adopt.ImageKey] = new SourceUpdate(new ImageMetadata
            {
                ConfigDigest = adopt.Image.Config.Digest.ToString(),
                ManifestDigest = adopt.Image.ManifestDigest.ToString(),
                SourceDigests = [top],
                Sources = [adopt.Target.ReferenceText],
                Platform = adopt.Target.PlatformText,
                PublishedAt = time.GetUtcNow(),
                AdoptedFrom = RepositoryLayout.ImageDirectory(adopt.ImageKey),
            });
    }

    /// <summary>Points a target at an image already published; records its top digest and reference as sources.</summary>
    public void Reuse(ReuseDecision reuse)
    {
        ArgumentNullException.ThrowIfNull(reuse);
        var moves = !published.Tags.TryGetValue(reuse.Target.TagPath, out var current) || current != reuse.ConfigDigest;
        _reuses.Add((reuse, moves));
        if (!_updates.TryGetValue(reuse.ConfigDigest, out var update))
        {
            update = new SourceUpdate(published.Images[reuse.ConfigDigest]);
            _updates[reuse.ConfigDigest] = update;
        }

        update.Add(reuse.TopDigest.ToString(), reuse.Target.ReferenceText);
    }
    /// <summary>
    /// The changes that publish one new image (flattened at <paramref name="stagedTree"/>) and point its targets at
    /// it: the image, and one tag per pull, in the order of <paramref name="pulls"/>.
    /// </summary>
    public NewImageChanges NewImage(IReadOnlyList<PullDecision> pulls, string stagedTree, FlattenResult flattened)
    {
        ArgumentNullException.ThrowIfNull(pulls);
        ArgumentNullException.ThrowIfNull(flattened);
        var first = pulls[0];
        var metadata = new ImageMetadata
        {
            ConfigDigest = first.ConfigDigest,
            ManifestDigest = first.Image.ManifestDigest.ToString(),
            SourceDigests = [.. pulls.Select(p => p.TopDigest.ToString()).Distinct(StringComparer.Ordinal)],
            Sources = [.. pulls.Select(p => p.Target.ReferenceText).Distinct(StringComparer.Ordinal)],
            Platform = first.Target.PlatformText,
            Size = flattened.Bytes,
            Files = flattened.Entries,
            PublishedAt = time.GetUtcNow(),
        };
        return new NewImageChanges(new AddImage(metadata, stagedTree), [.. pulls.Select(p => TagChange(p.Target, p.ConfigDigest))]);
    }

    /// <summary>OSG's directories to adopt, by image key.</summary>
    public IReadOnlyCollection<string> AdoptedKeys => _adoptions.Keys;

    /// <summary>Records the measured size and entry count of a directory to adopt.</summary>
    public void Measured(string imageKey, long bytes, long entries) => _adoptions[imageKey].Measured(bytes, entries);

    /// <summary>
    /// The last batch: adoptions (one per directory), tag moves onto adopted directories (one per adoption that moves
    /// a tag, in the order of <see cref="Adoptions"/>), metadata updates, tag moves onto existing images (one per
    /// reuse that moves a tag, in the order of <see cref="Reuses"/>), then the removals in the order given.
    /// </summary>
    public FinalChanges Final(IReadOnlyList<string> removals) => new(
        [.. _adoptions.Values.Select(u => new AdoptImage(u.ToMetadata()))],
        [.. _adopts.Where(a => a.TagMoves).Select(a => TagChange(a.Decision.Target, a.Decision.ImageKey))],
        [.. _updates.Values.Where(u => u.Changed).Select(u => new UpdateMetadata(u.ToMetadata()))],
        [.. _reuses.Where(r => r.TagMoves).Select(r => TagChange(r.Decision.Target, r.Decision.ConfigDigest))],
        [.. removals.Select(path => new RemoveTag(path))]);

    private static SetTag TagChange(SyncTarget target, string imageKey) => new(target.TagPath, imageKey) { Reference = target.ReferenceText };

    /// <summary>
    /// The sources one published image gains in this pass, in the order seen after the ones it had: a set beside each
    /// list, so that thousands of tags onto one image cost one look-up each, not a copy of the list each.
    /// </summary>
    private sealed class SourceUpdate(ImageMetadata metadata)
    {
        private readonly List<string> _digests = [.. metadata.SourceDigests];
        private readonly HashSet<string> _digestSet = new(metadata.SourceDigests, StringComparer.Ordinal);
        private readonly List<string> _sources = [.. metadata.Sources];
        private readonly HashSet<string> _sourceSet = new(metadata.Sources, StringComparer.Ordinal);

        public bool Changed { get; private set; }

        public void Add(string topDigest, string reference)
        {
            if (_digestSet.Add(topDigest))
            {
                _digests.Add(topDigest);
                Changed = true;
            }

            if (_sourceSet.Add(reference))
            {
                _sources.Add(reference);
                Changed = true;
            }
        }

        public void Measured(long bytes, long entries) => metadata = metadata with { Size = bytes, Files = entries };

        public ImageMetadata ToMetadata() => metadata with { SourceDigests = [.. _digests], Sources = [.. _sources] };
    }
}
