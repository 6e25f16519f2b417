namespace CvmfsImages.Publisher.Flattening;

/// <summary>Where a flatten stands: which layer, and how much of it has been written.</summary>
/// <param name="LayerIndex">Zero-based index of the layer being applied.</param>
/// <param name="LayerCount">Number of layers in the image.</param>
/// <param name="LayerDigest">The digest of the layer being applied.</param>
/// <param name="Entries">Tar entries processed so far in this layer.</param>
/// <param name="UncompressedBytes">Uncompressed bytes read so far in this layer.</param>
/// <param name="LayerDone">True on the report made when the layer is complete.</param>
public sealed record FlattenProgress(int LayerIndex, int LayerCount, string LayerDigest, long Entries, long UncompressedBytes, bool LayerDone);
