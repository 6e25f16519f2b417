using CvmfsImages.Registry.Names;

namespace CvmfsImages.Sync.Planning;

/// <summary>What the registry said a reference names right now: the top-level digest (index or manifest), or why not.</summary>
internal sealed record ResolveOutcome(Digest? TopDigest, string? Error)
{
    public static ResolveOutcome Resolved(Digest digest) => new(digest, null);

    public static ResolveOutcome Failed(string error) => new(null, error);
}
