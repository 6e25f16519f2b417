using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using CvmfsImages.Registry;
using CvmfsImages.Registry.Names;
using CvmfsImages.Registry.Transport;

namespace CvmfsImages.TestSupport.Images;

/// <summary>
/// Writes blobs and manifests to a registry for tests and benchmarks (the product only reads, so this lives here, not
/// in RegistryClient). Every request goes through the <see cref="RegistryClient"/>'s own handler chain (retry,
/// authentication with a <c>pull,push</c> scope, concurrency limit, logging), so pushes also exercise its transport.
/// </summary>
public sealed class RegistryPusher
{
    private readonly RegistryClient _client;
    private readonly int _chunkSize = 16 * 1024 * 1024;

    public RegistryPusher(RegistryClient client)
    {
        ArgumentNullException.ThrowIfNull(client);
        _client = client;
    }

    /// <summary>Blobs up to this size go in one PUT; larger ones in PATCH chunks of <see cref="ChunkSize"/>.</summary>
    public long MonolithicUploadMaxBytes { get; init; } = 32L * 1024 * 1024;

    /// <summary>The chunk size of chunked uploads: 64 KiB - 1 GiB.</summary>
    public int ChunkSize
    {
        get => _chunkSize;
        init
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, 64 * 1024, nameof(ChunkSize));
            ArgumentOutOfRangeException.ThrowIfGreaterThan(value, 1024 * 1024 * 1024, nameof(ChunkSize));
            _chunkSize = value;
        }
    }

    /// <summary>
    /// Uploads a blob unless the repository has it; first tries to mount it from <paramref name="mountFrom"/> (same
    /// registry). The content is hashed while it is sent; a digest or size mismatch cancels the upload before it is
    /// committed and throws a <see cref="DigestMismatchException"/>.
    /// </summary>
    public async Task PushBlobAsync(RepositoryName repository, Stream content, Digest digest, long size, RepositoryName? mountFrom, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(repository);
        ArgumentNullException.ThrowIfNull(content);
        if (digest.IsEmpty)
        {
            throw new ArgumentException("the digest is empty", nameof(digest));
        }

        ArgumentOutOfRangeException.ThrowIfNegative(size);
        var reference = $"{repository}@{digest}";
        var endpoint = _client.Origin(repository.Registry);
        var mount = mountFrom is not null && mountFrom.Registry == repository.Registry && mountFrom.Path != repository.Path ? mountFrom : null;
        var scope = PushScope(repository) + (mount is null ? string.Empty : " " + PullScope(mount));

        using (var head = await _client.SendAsync(endpoint, HttpMethod.Head, $"v2/{repository.Path}/blobs/{digest}", scope, null, cancellationToken))
        {
            if (head.IsSuccessStatusCode)
            {
                return;
            }

            if (head.StatusCode != HttpStatusCode.NotFound)
            {
                throw await _client.ErrorAsync(head, endpoint, "blob", reference, cancellationToken);
            }
        }

        var start = $"v2/{repository.Path}/blobs/uploads/"
            + (mount is null ? string.Empty : $"?mount={Uri.EscapeDataString(digest.ToString())}&from={Uri.EscapeDataString(mount.Path)}");
        Uri location;
        using (var opened = await _client.SendAsync(endpoint, HttpMethod.Post, start, scope, null, cancellationToken))
        {
            if (opened.StatusCode == HttpStatusCode.Created && mount is not null)
            {
                return;
            }

            if (opened.StatusCode != HttpStatusCode.Accepted)
            {
                throw await _client.ErrorAsync(opened, endpoint, "blob upload", reference, cancellationToken);
            }

            location = UploadLocation(opened, endpoint, reference);
        }

        using var hash = digest.CreateHash();
        if (size <= MonolithicUploadMaxBytes)
        {
            var buffer = new byte[size];
            await content.ReadExactlyAsync(buffer, cancellationToken);
            hash.AppendData(buffer);
            await CheckContentAsync(repository, content, hash, digest, size, size, endpoint, location, reference, cancellationToken);
            await PutAsync(endpoint, location, digest, new ByteArrayContent(buffer), scope, reference, cancellationToken);
            return;
        }

        var chunkBuffer = new byte[ChunkSize];
        long sent = 0;
        while (true)
        {
            var read = await content.ReadAtLeastAsync(chunkBuffer, chunkBuffer.Length, throwOnEndOfStream: false, cancellationToken);
            if (read == 0)
            {
                break;
            }

            hash.AppendData(chunkBuffer, 0, read);
            if (sent + read > size)
            {
                break; // reported by the check below
            }

            using var chunk = new ByteArrayContent(chunkBuffer, 0, read);
            chunk.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
            chunk.Headers.TryAddWithoutValidation("Content-Range", string.Create(CultureInfo.InvariantCulture, $"{sent}-{sent + read - 1}"));
            using var patched = await _client.SendToAsync(location, endpoint, HttpMethod.Patch, scope, r => r.Content = chunk, cancellationToken);
            if (patched.StatusCode != HttpStatusCode.Accepted)
            {
                throw await _client.ErrorAsync(patched, endpoint, "blob chunk", reference, cancellationToken);
            }

            location = UploadLocation(patched, endpoint, reference);
            sent += read;
            if (read < chunkBuffer.Length)
            {
                break;
            }
        }

        await CheckContentAsync(repository, content, hash, digest, size, sent, endpoint, location, reference, cancellationToken);
        await PutAsync(endpoint, location, digest, null, scope, reference, cancellationToken);
    }

    /// <summary>
    /// Puts a manifest or index under the reference's tag (or its digest, when it has one); returns its digest. The
    /// registry's <c>Docker-Content-Digest</c> must agree.
    /// </summary>
    public async Task<Digest> PushManifestAsync(ImageReference reference, ReadOnlyMemory<byte> manifest, string mediaType, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(reference);
        ArgumentException.ThrowIfNullOrWhiteSpace(mediaType);
        var digest = Digest.Sha256(manifest.Span);
        if (reference.Digest is { } pinned && pinned != digest)
        {
            throw new ArgumentException($"manifest has digest {digest}, but the reference {reference} names {pinned}", nameof(reference));
        }

        var endpoint = _client.Origin(reference.Registry);
        var path = $"v2/{reference.Repository.Path}/manifests/{reference.Identifier}";
        using var body = new ReadOnlyMemoryContent(manifest);
        body.Headers.ContentType = new MediaTypeHeaderValue(mediaType);
        using var response = await _client.SendAsync(endpoint, HttpMethod.Put, path, PushScope(reference.Repository), r => r.Content = body, cancellationToken);
        if (response.StatusCode != HttpStatusCode.Created)
        {
            throw await _client.ErrorAsync(response, endpoint, "manifest", reference.ToString(), cancellationToken);
        }

        if (response.Headers.TryGetValues("Docker-Content-Digest", out var values)
            && Digest.TryParse(values.FirstOrDefault(), out var stored, out _) && stored.Algorithm == digest.Algorithm && stored != digest)
        {
            throw new DigestMismatchException(reference.ToString(), digest, stored, manifest.Length, manifest.Length) { Registry = endpoint.Registry };
        }

        return digest;
    }

    /// <summary>True when the repository has the blob (HEAD).</summary>
    public async Task<bool> BlobExistsAsync(RepositoryName repository, Digest digest, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(repository);
        var endpoint = _client.Origin(repository.Registry);
        using var response = await _client.SendAsync(endpoint, HttpMethod.Head, $"v2/{repository.Path}/blobs/{digest}", PullScope(repository), null, cancellationToken);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return false;
        }

        return response.IsSuccessStatusCode ? true : throw await _client.ErrorAsync(response, endpoint, "blob", $"{repository}@{digest}", cancellationToken);
    }

    private static string PullScope(RepositoryName repository) => $"repository:{repository.Path}:pull";

    private static string PushScope(RepositoryName repository) => $"repository:{repository.Path}:pull,push";

    private async Task PutAsync(RegistryEndpoint endpoint, Uri location, Digest digest, HttpContent? content, string scope, string reference, CancellationToken cancellationToken)
    {
        using var owned = content;
        if (content is not null)
        {
            content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        }

        var uri = new Uri(location + (string.IsNullOrEmpty(location.Query) ? "?" : "&") + "digest=" + Uri.EscapeDataString(digest.ToString()));
        using var response = await _client.SendToAsync(uri, endpoint, HttpMethod.Put, scope, r => r.Content = content, cancellationToken);
        if (response.StatusCode != HttpStatusCode.Created)
        {
            throw await _client.ErrorAsync(response, endpoint, "blob upload", reference, cancellationToken);
        }
    }

    /// <summary>Refuses content longer or shorter than announced, or with another digest; cancels the upload first.</summary>
    private async Task CheckContentAsync(
        RepositoryName repository, Stream content, IncrementalHash hash, Digest digest, long size, long sent,
        RegistryEndpoint endpoint, Uri location, string reference, CancellationToken cancellationToken)
    {
        var extra = sent == size && await content.ReadAsync(new byte[1], cancellationToken) > 0;
        var actual = Digest.FromHash(digest.Algorithm, hash.GetHashAndReset());
        if (sent == size && !extra && actual == digest)
        {
            return;
        }

        try
        {
            using var cancelled = await _client.SendToAsync(location, endpoint, HttpMethod.Delete, PushScope(repository), null, cancellationToken);
        }
        catch (Exception ex) when (ex is RegistryException or HttpRequestException)
        {
            // Best effort: the registry purges abandoned uploads itself.
        }

        throw new DigestMismatchException(reference, digest, sent == size && !extra ? actual : null, size, extra ? size + 1 : sent);
    }

    private static Uri UploadLocation(HttpResponseMessage response, RegistryEndpoint endpoint, string reference) =>
        response.Headers.Location is { } location
            ? new Uri(endpoint.BaseUri, location)
            : throw new RegistryException($"blob upload {reference}: the registry sent no upload Location", reference, response.StatusCode) { Registry = endpoint.Registry };
}
