using CvmfsImages.Registry;
using CvmfsImages.Registry.Names;

namespace CvmfsImages.TestSupport.Images;

/// <summary><see cref="RegistryPusher"/> with its default upload sizes, called on the client (<c>client.PushBlobAsync(...)</c>).</summary>
public static class RegistryPushExtensions
{
    /// <summary>Uploads a blob unless the repository already has it (see <see cref="RegistryPusher.PushBlobAsync"/>).</summary>
    public static Task PushBlobAsync(this RegistryClient client, RepositoryName repository, Stream content, Digest digest, long size, CancellationToken cancellationToken) =>
        new RegistryPusher(client).PushBlobAsync(repository, content, digest, size, mountFrom: null, cancellationToken);

    /// <summary>Uploads a blob, mounting it from <paramref name="mountFrom"/> when the registry can.</summary>
    public static Task PushBlobAsync(this RegistryClient client, RepositoryName repository, Stream content, Digest digest, long size, RepositoryName? mountFrom, CancellationToken cancellationToken) =>
        new RegistryPusher(client).PushBlobAsync(repository, content, digest, size, mountFrom, cancellationToken);

    /// <inheritdoc cref="RegistryPusher.PushManifestAsync"/>
    public static Task<Digest> PushManifestAsync(this RegistryClient client, ImageReference reference, ReadOnlyMemory<byte> manifest, string mediaType, CancellationToken cancellationToken) =>
        new RegistryPusher(client).PushManifestAsync(reference, manifest, mediaType, cancellationToken);

    /// <inheritdoc cref="RegistryPusher.BlobExistsAsync"/>
    public static Task<bool> BlobExistsAsync(this RegistryClient client, RepositoryName repository, Digest digest, CancellationToken cancellationToken) =>
        new RegistryPusher(client).BlobExistsAsync(repository, digest, cancellationToken);
}
