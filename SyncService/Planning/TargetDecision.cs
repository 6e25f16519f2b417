using CvmfsImages.Registry;
using CvmfsImages.Registry.Names;

namespace CvmfsImages.Sync.Planning;

/// <summary>What the planner decided for one target.</summary>
internal abstract record TargetDecision(SyncTarget Target);

/// <summary>The path already shows what the reference names: nothing to do (the one HEAD was all it cost).</summary>
internal sealed record KeepDecision(SyncTarget Target, string ConfigDigest) : TargetDecision(Target);

/// <summary>
/// The image is already in the repository (published under another tag or digest): point the tag at it and record the
/// new source; no download.
/// </summary>
internal sealed record ReuseDecision(SyncTarget Target, Digest TopDigest, string ConfigDigest) : TargetDecision(Target);

/// <summary>Not known by its top digest: the platform manifest and config must be fetched to decide.</summary>
internal sealed record FetchManifestDecision(SyncTarget Target, Digest TopDigest) : TargetDecision(Target);

/// <summary>A new image: pull its layers, flatten, add it and point the tag at it.</summary>
internal sealed record PullDecision(SyncTarget Target, Digest TopDigest, ResolvedImage Image) : TargetDecision(Target)
{
    public string ConfigDigest => Image.Config.Digest.ToString();
}

/// <summary>
/// OSG's script built this image (its directory <paramref name="ImageKey"/> is there, with no metadata of ours): write
/// our metadata for it in place and point the tag at it; no download. <see cref="Image"/> has no config bytes.
/// </summary>
internal sealed record AdoptDecision(SyncTarget Target, Digest TopDigest, ResolvedImage Image, string ImageKey) : TargetDecision(Target);

/// <summary>The target could not be brought up to date; what is published at its path stays.</summary>
internal sealed record FailDecision(SyncTarget Target, string Reason) : TargetDecision(Target);
