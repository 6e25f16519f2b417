using CvmfsImages.Registry;
using CvmfsImages.Registry.Names;

namespace CvmfsImages.TestSupport.Images;

/// <summary>A layer of a <see cref="BuiltImage"/>: its descriptor, the blob as pushed, the uncompressed tar and its diff id.</summary>
public sealed record BuiltLayer(Descriptor Descriptor, ReadOnlyMemory<byte> Blob, ReadOnlyMemory<byte> Tar, Digest DiffId);
