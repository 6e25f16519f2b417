using System.Net;
using System.Net.Http.Headers;
using CvmfsImages.Registry.Blobs;
using CvmfsImages.Registry.Names;
using CvmfsImages.Registry.Transport;

namespace CvmfsImages.Registry;

public sealed partial class RegistryClient
{
    /// <summary>
    /// A stream of the blob. Its size and digest are verified when the stream reaches EOF (a mismatch throws a
    /// <see cref="DigestMismatchException"/>), so read it to the end. Redirects (object stores) are followed without the
    /// registry's credentials; a dropped connection is resumed with a <c>Range</c> request. With a cache configured,
    /// a cached blob is served from disk, and a downloaded one enters the cache once verified. A read that brings no
    /// data for <see cref="RegistryClientOptions.RequestTimeout"/> counts as a dropped connection.
    /// </summary>
    public async Task<Stream> OpenBlobAsync(RepositoryName repository, Descriptor blob, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(repository);
        ArgumentNullException.ThrowIfNull(blob);
        if (blob.Digest.IsEmpty || blob.Size < 0)
        {
            throw new ArgumentException($"descriptor of {repository} has an empty digest or a negative size", nameof(blob));
        }

        var reference = $"{repository}@{blob.Digest}";
        if (_cache?.TryOpen(blob.Digest, blob.Size, reference) is { } cached)
        {
            return cached;
        }

        var remote = await PullAsync(repository.Registry, reference, async endpoint =>
        {
            var (body, _) = await OpenBlobBodyAsync(endpoint, repository, blob.Digest, offset: 0, cancellationToken);
            return new ResumingStream(
                body,
                (offset, ct) => OpenBlobBodyAsync(endpoint, repository, blob.Digest, offset, ct),
                blob.Digest,
                blob.Size,
                _options.MaxRetries,
                _options.RequestTimeout,
                _logger);
        }, cancellationToken);

        var verified = new VerifyingStream(remote, blob.Digest, blob.Size, reference);
        // A blob larger than the whole cache would only evict everything else: it is streamed past the cache.
        return _cache is null || blob.Size > _options.BlobCacheMaxBytes ? verified : _cache.Wrap(verified, blob.Digest, blob.Size);
    }

    /// <summary>Reads a small blob (a config) completely, verified, refusing one larger than <paramref name="max"/>.</summary>
    private async Task<byte[]> ReadSmallBlobAsync(RepositoryName repository, Descriptor blob, int max, CancellationToken cancellationToken)
    {
        if (blob.Size > max)
        {
            throw new RegistryException($"{repository}@{blob.Digest}: blob of {blob.Size} bytes is larger than the {max} bytes allowed here", $"{repository}@{blob.Digest}");
        }

        var buffer = new byte[blob.Size];
        await using var stream = await OpenBlobAsync(repository, blob, cancellationToken);
        await stream.ReadExactlyAsync(buffer, cancellationToken);
        if (await stream.ReadAsync(new byte[1], cancellationToken) != 0)
        {
            throw new DigestMismatchException($"{repository}@{blob.Digest}", blob.Digest, null, blob.Size, blob.Size + 1);
        }

        return buffer;
    }

    /// <summary>
    /// GETs a blob from <paramref name="offset"/>, following redirects itself: a hop to another authority carries no
    /// Authorization (the handler only signs requests to the endpoint's own authority), and HTTPS never downgrades to
    /// plain HTTP except towards loopback or insecure hosts.
    /// </summary>
    private async Task<(Stream Body, long Start)> OpenBlobBodyAsync(RegistryEndpoint endpoint, RepositoryName repository, Digest digest, long offset, CancellationToken cancellationToken)
    {
        var reference = $"{repository}@{digest}";
        var uri = endpoint.Resolve($"v2/{repository.Path}/blobs/{digest}");
        for (var hop = 0; hop <= MaxRedirects; hop++)
        {
            var response = await SendToAsync(uri, endpoint, HttpMethod.Get, PullScope(repository), request =>
            {
                if (offset > 0)
                {
                    request.Headers.Range = new RangeHeaderValue(offset, null);
                }
            }, cancellationToken);
            try
            {
                if (IsRedirect(response.StatusCode) && response.Headers.Location is { } location)
                {
                    var target = new Uri(uri, location);
                    if (target.Scheme is not ("http" or "https") || (uri.Scheme == Uri.UriSchemeHttps && target.Scheme == Uri.UriSchemeHttp && !HostRules.MaySend(target, IsInsecure)))
                    {
                        throw new RegistryException($"{reference}: refusing a redirect from {uri.Scheme} to {target.Scheme}://{target.Authority}", reference) { Registry = endpoint.Registry };
                    }

                    Log.BlobRedirected(_logger, digest, target.Authority);
                    uri = target;
                    continue;
                }

                if (response.StatusCode == HttpStatusCode.PartialContent && offset > 0)
                {
                    var range = response.Content.Headers.ContentRange;
                    if (range?.From != offset)
                    {
                        throw new RegistryException($"{reference}: asked for bytes from {offset}, the server sent a range from {range?.From?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "(none)"}", reference, isTransient: true) { Registry = endpoint.Registry };
                    }

                    var partial = await response.Content.ReadAsStreamAsync(cancellationToken);
                    response = null; // the stream owns the response now
                    return (partial, offset);
                }

                if (response.StatusCode == HttpStatusCode.OK)
                {
                    var body = await response.Content.ReadAsStreamAsync(cancellationToken);
                    response = null;
                    return (body, 0);
                }

                throw await ErrorAsync(response, endpoint, "blob", reference, cancellationToken);
            }
            finally
            {
                response?.Dispose();
            }
        }

        throw new RegistryException($"{reference}: more than {MaxRedirects} redirects", reference) { Registry = endpoint.Registry };
    }

    private static bool IsRedirect(HttpStatusCode status) =>
        status is HttpStatusCode.MovedPermanently or HttpStatusCode.Found or HttpStatusCode.SeeOther
            or HttpStatusCode.TemporaryRedirect or HttpStatusCode.PermanentRedirect;
}
