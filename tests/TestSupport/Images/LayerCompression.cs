namespace CvmfsImages.TestSupport.Images;

/// <summary>How a <see cref="TestImage"/> layer is compressed.</summary>
public enum LayerCompression
{
    /// <summary>gzip (the default; <c>tar+gzip</c> media types).</summary>
    Gzip,

    /// <summary>zstd, through the <c>zstd</c> command (<c>tar+zstd</c> media types).</summary>
    Zstd,

    /// <summary>An uncompressed tar.</summary>
    None,
}
