using CvmfsImages.Registry.Names;

namespace CvmfsImages.Registry;

/// <summary>A manifest or index as the registry sent it: media type, digest of the bytes, and the bytes.</summary>
public sealed record ManifestResponse(string MediaType, Digest Digest, ReadOnlyMemory<byte> Content)
{
    /// <summary>True for an OCI index or a Docker manifest list.</summary>
    public bool IsIndex => MediaTypes.IsIndex(MediaType);
}
