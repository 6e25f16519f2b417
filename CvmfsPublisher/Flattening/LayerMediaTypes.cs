namespace CvmfsImages.Publisher.Flattening;

/// <summary>The layer media types of the OCI image spec and of Docker's image manifest v2.2, mapped to compression.</summary>
internal static class LayerMediaTypes
{
    private static readonly Dictionary<string, LayerCompression> Known = new(StringComparer.Ordinal)
    {
        ["application/vnd.oci.image.layer.v1.tar"] = LayerCompression.None,
        ["application/vnd.oci.image.layer.v1.tar+gzip"] = LayerCompression.Gzip,
        ["application/vnd.oci.image.layer.v1.tar+zstd"] = LayerCompression.Zstd,
        ["application/vnd.oci.image.layer.nondistributable.v1.tar"] = LayerCompression.None,
        ["application/vnd.oci.image.layer.nondistributable.v1.tar+gzip"] = LayerCompression.Gzip,
        ["application/vnd.oci.image.layer.nondistributable.v1.tar+zstd"] = LayerCompression.Zstd,
        ["application/vnd.docker.image.rootfs.diff.tar"] = LayerCompression.None,
        ["application/vnd.docker.image.rootfs.diff.tar.gzip"] = LayerCompression.Gzip,
        ["application/vnd.docker.image.rootfs.diff.tar.zstd"] = LayerCompression.Zstd,
        ["application/vnd.docker.image.rootfs.foreign.diff.tar.gzip"] = LayerCompression.Gzip,
    };

    /// <summary>The compression a media type declares; false for a type that is not a layer.</summary>
    public static bool TryGetCompression(string mediaType, out LayerCompression compression)
    {
        // Parameters (";...") are not part of the type.
        var semicolon = mediaType.IndexOf(';', StringComparison.Ordinal);
        var bare = (semicolon >= 0 ? mediaType[..semicolon] : mediaType).Trim();
        return Known.TryGetValue(bare, out compression);
    }

    /// <summary>The media types accepted, for messages.</summary>
    public static string Supported => string.Join(", ", Known.Keys);
}
