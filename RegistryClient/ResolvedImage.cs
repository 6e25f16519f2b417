using CvmfsImages.Registry.Names;

namespace CvmfsImages.Registry;

/// <summary>
/// An image resolved for one platform: what the reference named (<paramref name="TopDigest"/>, an index or a manifest),
/// the platform's manifest, its config (descriptor and verified bytes) and its layers, in order.
/// </summary>
public sealed record ResolvedImage(
    ImageReference Reference,
    Digest TopDigest,
    Digest ManifestDigest,
    Platform Platform,
    Descriptor Config,
    ReadOnlyMemory<byte> ConfigBytes,
    IReadOnlyList<Descriptor> Layers)
{
    /// <summary>The media type of the platform's manifest (OCI or Docker).</summary>
    public string ManifestMediaType { get; init; } = MediaTypes.OciManifest;

    /// <summary>Bytes to download: config plus layers, as the manifest states them.</summary>
    public long CompressedSize => Config.Size + Layers.Sum(l => l.Size);
}
