using CvmfsImages.Registry;
using CvmfsImages.Registry.Names;

namespace CvmfsImages.TestSupport.Images;

/// <summary>One platform's image manifest of a <see cref="BuiltImage"/>, with its config and layers.</summary>
public sealed record BuiltManifest(
    Platform Platform,
    Digest Digest,
    string MediaType,
    ReadOnlyMemory<byte> Content,
    Descriptor Config,
    ReadOnlyMemory<byte> ConfigBytes,
    IReadOnlyList<BuiltLayer> Layers);
