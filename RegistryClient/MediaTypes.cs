namespace CvmfsImages.Registry;

/// <summary>The media types of the OCI image specification and of Docker's image manifest v2 schema 2.</summary>
public static class MediaTypes
{
    public const string OciManifest = "application/vnd.oci.image.manifest.v1+json";
    public const string OciIndex = "application/vnd.oci.image.index.v1+json";
    public const string OciConfig = "application/vnd.oci.image.config.v1+json";
    public const string OciLayer = "application/vnd.oci.image.layer.v1.tar";
    public const string OciLayerGzip = "application/vnd.oci.image.layer.v1.tar+gzip";
    public const string OciLayerZstd = "application/vnd.oci.image.layer.v1.tar+zstd";
    public const string OciLayerNondistributableGzip = "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip";
    public const string OciEmptyJson = "application/vnd.oci.empty.v1+json";

    public const string DockerManifest = "application/vnd.docker.distribution.manifest.v2+json";
    public const string DockerManifestList = "application/vnd.docker.distribution.manifest.list.v2+json";
    public const string DockerConfig = "application/vnd.docker.container.image.v1+json";
    public const string DockerLayer = "application/vnd.docker.image.rootfs.diff.tar";
    public const string DockerLayerGzip = "application/vnd.docker.image.rootfs.diff.tar.gzip";
    public const string DockerLayerZstd = "application/vnd.docker.image.rootfs.diff.tar.zstd";
    public const string DockerForeignLayerGzip = "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip";

    /// <summary>Docker's schema 1 manifests (unsigned and signed): refused with a clear error.</summary>
    public const string DockerManifestSchema1 = "application/vnd.docker.distribution.manifest.v1+json";
    public const string DockerManifestSchema1Signed = "application/vnd.docker.distribution.manifest.v1+prettyjws";

    /// <summary>What the client asks for when fetching a manifest: every manifest and index type it understands.</summary>
    public static IReadOnlyList<string> ManifestAccept { get; } = [OciIndex, OciManifest, DockerManifestList, DockerManifest];

    /// <summary>True for an OCI index or a Docker manifest list.</summary>
    public static bool IsIndex(string? mediaType) => mediaType is OciIndex or DockerManifestList;

    /// <summary>True for an OCI image manifest or a Docker v2 schema 2 manifest.</summary>
    public static bool IsManifest(string? mediaType) => mediaType is OciManifest or DockerManifest;

    /// <summary>True for a schema 1 manifest, which this client does not support.</summary>
    public static bool IsSchema1(string? mediaType) => mediaType is DockerManifestSchema1 or DockerManifestSchema1Signed;
}
