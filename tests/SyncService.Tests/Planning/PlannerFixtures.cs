using System.Security.Cryptography;
using System.Text;
using CvmfsImages.Publisher.Publishing;
using CvmfsImages.Registry;
using CvmfsImages.Registry.Names;
using CvmfsImages.Sync.Lists;
using CvmfsImages.Sync.Planning;

namespace CvmfsImages.Tests.SyncService.Planning;

/// <summary>Small builders for planner tables: digests by name, targets, published states, resolved images.</summary>
internal static class PlannerFixtures
{
    public static Digest D(string name) => Digest.Sha256(Encoding.UTF8.GetBytes(name));

    public static string S(string name) => D(name).ToString();

    public static SyncTarget Target(string reference, string? platform = null, int line = 1)
    {
        var parsed = ImageReference.Parse(reference);
        var p = platform is null ? Platform.LinuxAmd64 : Platform.Parse(platform);
        var suffix = platform is null ? null : RepositoryLayout.PlatformSuffix(p.Os, p.Architecture, p.Variant);
        var path = RepositoryLayout.TagPath(parsed.Registry, parsed.Path, parsed.Tag, parsed.Digest?.ToString(), PathStyle.Osg, suffix);
        return new SyncTarget(path, parsed, p, new ListEntry(line, reference, parsed, false));
    }

    public static ImageMetadata Image(string config, string manifest, string platform = "linux/amd64", params string[] sources) => new()
    {
        ConfigDigest = S(config),
        ManifestDigest = S(manifest),
        SourceDigests = [.. sources.Select(S)],
        Platform = platform,
    };

    public static PublishedState State(IEnumerable<(string Path, string Config)> tags, params ImageMetadata[] images) =>
        new(tags.ToDictionary(t => t.Path, t => S(t.Config)), images.ToDictionary(i => i.ConfigDigest));

    public static ResolvedImage Resolved(SyncTarget target, string top, string manifest, string config) =>
        new(target.Reference, D(top), D(manifest), target.Platform, new Descriptor(MediaTypes.OciConfig, D(config), 100), new byte[] { 1 }, []);

    public static Dictionary<ImageReference, ResolveOutcome> Resolutions(params (SyncTarget Target, string? Top)[] items) =>
        items.ToDictionary(i => i.Target.Reference, i => i.Top is null ? ResolveOutcome.Failed("registry unreachable") : ResolveOutcome.Resolved(D(i.Top)));

    public static string Sha(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));
}
