namespace CvmfsImages.Sync.Web.Api;

/// <summary>
/// An image no tag refers to: since when (null: found unreferenced, the next garbage collection starts its grace period),
/// when its grace period ends (<see cref="RemovableAt"/>) and the garbage collection run expected to remove it.
/// </summary>
internal sealed record ApiUnreferenced(
    string ConfigDigest, string ManifestDigest, string Platform, IReadOnlyList<string> Sources, long Size, long Files,
    DateTimeOffset PublishedAt, DateTimeOffset? UnreferencedSince, DateTimeOffset? RemovableAt, DateTimeOffset? RemovalAt);
