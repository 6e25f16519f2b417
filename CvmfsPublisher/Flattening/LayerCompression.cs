namespace CvmfsImages.Publisher.Flattening;

/// <summary>How a layer's bytes are compressed, as its media type declares.</summary>
internal enum LayerCompression
{
    None,
    Gzip,
    Zstd,
}
