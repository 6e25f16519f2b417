using CvmfsImages.Registry.Names;

namespace CvmfsImages.Registry;

/// <summary>A content descriptor: what a manifest or index says about a blob or a child manifest.</summary>
public sealed record Descriptor(string MediaType, Digest Digest, long Size)
{
    /// <summary>The platform of a child manifest in an index, or null.</summary>
    public Platform? Platform { get; init; }

    /// <summary>The descriptor's annotations, or null when it has none.</summary>
    public IReadOnlyDictionary<string, string>? Annotations { get; init; }

    /// <summary>Alternative download locations (foreign layers), or null.</summary>
    public IReadOnlyList<string>? Urls { get; init; }
}
