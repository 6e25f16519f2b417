using CvmfsImages.Registry.Names;
using Microsoft.Extensions.Logging;

namespace CvmfsImages.Registry;

/// <summary>
/// A client for OCI Distribution / Docker Registry v2 registries: manifests, blobs, tags and pushes. One instance
/// serves every registry; it is thread-safe and meant to live as long as the process.
/// </summary>
public sealed partial class RegistryClient : IDisposable
{
    public RegistryClient(
        RegistryClientOptions options,
        ILoggerFactory? loggerFactory = null,
        HttpMessageHandler? innerHandler = null,
        TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
    }

    private readonly RegistryClientOptions _options;

    /// <summary>Raised after every HTTP exchange with a registry (each attempt), for metrics.</summary>
    public event EventHandler<RegistryRequestEventArgs>? RequestCompleted;

    /// <summary>The digest of what the reference names (an index or a manifest), from one HEAD request.</summary>
    public Task<Digest> ResolveDigestAsync(ImageReference reference, CancellationToken cancellationToken) =>
        throw new NotImplementedException();

    /// <summary>The manifest or index the reference names; verified against the reference's digest when it has one.</summary>
    public Task<ManifestResponse> GetManifestAsync(ImageReference reference, CancellationToken cancellationToken) =>
        throw new NotImplementedException();

    /// <summary>Follows an index to the platform's manifest and fetches (and verifies) its config.</summary>
    public Task<ResolvedImage> ResolveImageAsync(ImageReference reference, Platform platform, CancellationToken cancellationToken) =>
        throw new NotImplementedException();

    /// <summary>The platforms the reference offers (one for a single-platform image).</summary>
    public Task<IReadOnlyList<Platform>> ListPlatformsAsync(ImageReference reference, CancellationToken cancellationToken) =>
        throw new NotImplementedException();

    /// <summary>A stream of the blob, verified (size and digest) at EOF; through the cache when one is configured.</summary>
    public Task<Stream> OpenBlobAsync(RepositoryName repository, Descriptor blob, CancellationToken cancellationToken) =>
        throw new NotImplementedException();

    /// <summary>Every tag of the repository, across all pages.</summary>
    public Task<IReadOnlyList<string>> ListTagsAsync(RepositoryName repository, CancellationToken cancellationToken) =>
        throw new NotImplementedException();

    /// <summary>Uploads a blob unless the repository already has it.</summary>
    public Task PushBlobAsync(RepositoryName repository, Stream content, Digest digest, long size, CancellationToken cancellationToken) =>
        PushBlobAsync(repository, content, digest, size, mountFrom: null, cancellationToken);

    /// <summary>Uploads a blob unless the repository has it; first tries to mount it from <paramref name="mountFrom"/>.</summary>
    public Task PushBlobAsync(RepositoryName repository, Stream content, Digest digest, long size, RepositoryName? mountFrom, CancellationToken cancellationToken) =>
        throw new NotImplementedException();

    /// <summary>Puts a manifest or index under the reference's tag (or digest); returns its digest.</summary>
    public Task<Digest> PushManifestAsync(ImageReference reference, ReadOnlyMemory<byte> manifest, string mediaType, CancellationToken cancellationToken) =>
        throw new NotImplementedException();

    public void Dispose()
    {
    }

    internal void OnRequestCompleted(RegistryRequestEventArgs args) => RequestCompleted?.Invoke(this, args);

    internal RegistryClientOptions Options => _options;
}
