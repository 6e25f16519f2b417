using System.Net.Http.Headers;
using System.Text.Json;
using CvmfsImages.Registry.Json;
using CvmfsImages.Registry.Names;
using CvmfsImages.Registry.Transport;

namespace CvmfsImages.Registry;

public sealed partial class RegistryClient
{
    /// <summary>
    /// The digest of what the reference names (an index or a manifest), from one HEAD request
    /// (<c>Docker-Content-Digest</c>); a GET only when the registry does not send that header.
    /// </summary>
    /// <exception cref="RegistryException">Not found, refused, or failed; see its status and codes.</exception>
    public Task<Digest> ResolveDigestAsync(ImageReference reference, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(reference);
        return PullAsync(reference.Registry, reference.ToString(), async endpoint =>
        {
            using (var response = await SendAsync(endpoint, HttpMethod.Head, ManifestPath(reference), PullScope(reference.Repository), AcceptManifests, cancellationToken))
            {
                if (!response.IsSuccessStatusCode)
                {
                    throw await ErrorAsync(response, endpoint, "manifest", reference.ToString(), cancellationToken);
                }

                if (reference.Digest is { } pinned)
                {
                    return pinned;
                }

                if (response.Headers.TryGetValues("Docker-Content-Digest", out var values)
                    && Digest.TryParse(values.FirstOrDefault(), out var digest, out _))
                {
                    return digest;
                }
            }

            return (await FetchManifestAsync(endpoint, reference, cancellationToken)).Digest;
        }, cancellationToken);
    }

    /// <summary>
    /// The manifest or index the reference names. Its bytes are checked against the reference's digest when it has
    /// one, and against the registry's <c>Docker-Content-Digest</c> otherwise.
    /// </summary>
    /// <exception cref="DigestMismatchException">The bytes do not match the digest.</exception>
    /// <exception cref="RegistryException">Not found, refused, too large, schema 1, or an unsupported media type.</exception>
    public Task<ManifestResponse> GetManifestAsync(ImageReference reference, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(reference);
        return PullAsync(reference.Registry, reference.ToString(), endpoint => FetchManifestAsync(endpoint, reference, cancellationToken), cancellationToken);
    }

    /// <summary>
    /// Resolves the reference for a platform: an index is followed to the platform's manifest (an error lists the
    /// platforms it offers); a single manifest must be for that platform. The config is fetched and verified.
    /// </summary>
    public Task<ResolvedImage> ResolveImageAsync(ImageReference reference, Platform platform, CancellationToken cancellationToken) =>
        ResolveAsync(reference, platform, readConfig: true, cancellationToken);

    /// <summary>
    /// As <see cref="ResolveImageAsync"/>, but reads no blob: the manifests only. <see cref="ResolvedImage.ConfigBytes"/>
    /// is empty, and a single manifest's platform is taken as <paramref name="platform"/> unchecked (its config says it).
    /// For deciding about content that is already published (its layers are known) without a download.
    /// </summary>
    public Task<ResolvedImage> ResolveManifestAsync(ImageReference reference, Platform platform, CancellationToken cancellationToken) =>
        ResolveAsync(reference, platform, readConfig: false, cancellationToken);

    private async Task<ResolvedImage> ResolveAsync(ImageReference reference, Platform platform, bool readConfig, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(reference);
        ArgumentNullException.ThrowIfNull(platform);
        var top = await GetManifestAsync(reference, cancellationToken);
        var manifest = top;
        Platform? chosen = null;
        if (top.IsIndex)
        {
            var children = ParseIndex(top, reference);
            var pick = SelectPlatform(children, platform) ?? throw new RegistryException(
                $"{reference} has no image for {platform}; it offers {DescribePlatforms(children)}", reference.ToString());
            chosen = pick.Platform;
            manifest = await GetManifestAsync(reference.WithDigest(pick.Digest), cancellationToken);
            if (manifest.IsIndex)
            {
                throw new RegistryException($"{reference}: the entry for {platform} ({pick.Digest}) is itself an index, which is not supported", reference.ToString());
            }
        }

        var (config, layers) = ParseManifest(manifest, reference);
        if (!readConfig)
        {
            return new ResolvedImage(reference, top.Digest, manifest.Digest, chosen ?? platform, config, ReadOnlyMemory<byte>.Empty, layers)
            {
                ManifestMediaType = manifest.MediaType,
            };
        }

        var configBytes = await ReadSmallBlobAsync(reference.Repository, config, MaxConfigBytes, cancellationToken);
        var configPlatform = ParseConfigPlatform(configBytes, reference);
        if (!top.IsIndex && configPlatform is not null && !platform.Accepts(configPlatform))
        {
            throw new RegistryException($"{reference} is a single-platform image for {configPlatform}, not {platform}", reference.ToString());
        }

        return new ResolvedImage(reference, top.Digest, manifest.Digest, chosen ?? configPlatform ?? platform, config, configBytes, layers)
        {
            ManifestMediaType = manifest.MediaType,
        };
    }

    /// <summary>The platforms the reference offers: an index's entries (attestations left out), or a single image's.</summary>
    public async Task<IReadOnlyList<Platform>> ListPlatformsAsync(ImageReference reference, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(reference);
        var top = await GetManifestAsync(reference, cancellationToken);
        if (top.IsIndex)
        {
            return [.. ParseIndex(top, reference).Select(d => d.Platform).OfType<Platform>().Where(p => !IsUnknown(p)).Distinct()];
        }

        var (config, _) = ParseManifest(top, reference);
        var configBytes = await ReadSmallBlobAsync(reference.Repository, config, MaxConfigBytes, cancellationToken);
        return ParseConfigPlatform(configBytes, reference) is { } platform ? [platform] : [];
    }

    /// <summary>Parses an image manifest's config and layer descriptors, refusing anything malformed.</summary>
    internal static (Descriptor Config, IReadOnlyList<Descriptor> Layers) ParseManifest(ManifestResponse manifest, ImageReference reference)
    {
        if (!MediaTypes.IsManifest(manifest.MediaType))
        {
            throw new RegistryException($"{reference}: expected an image manifest, got '{manifest.MediaType}'", reference.ToString());
        }

        var doc = Deserialize(manifest, reference);
        if (doc.Config is null || doc.Layers is null)
        {
            throw new RegistryException($"{reference}: manifest {manifest.Digest} lacks 'config' or 'layers'", reference.ToString());
        }

        return (ToDescriptor(doc.Config, reference, "config"), [.. doc.Layers.Select((l, i) => ToDescriptor(l, reference, $"layer {i}"))]);
    }

    /// <summary>Parses an index's entries.</summary>
    internal static IReadOnlyList<Descriptor> ParseIndex(ManifestResponse index, ImageReference reference)
    {
        var doc = Deserialize(index, reference);
        if (doc.Manifests is null)
        {
            throw new RegistryException($"{reference}: index {index.Digest} lacks 'manifests'", reference.ToString());
        }

        return [.. doc.Manifests.Select((m, i) => ToDescriptor(m, reference, $"index entry {i}"))];
    }

    /// <summary>The best entry for the platform: an exact match, else the first one the platform accepts.</summary>
    internal static Descriptor? SelectPlatform(IReadOnlyList<Descriptor> children, Platform platform)
    {
        var candidates = children.Where(c => c.Platform is not null && platform.Accepts(c.Platform)
                                             && (MediaTypes.IsManifest(c.MediaType) || MediaTypes.IsIndex(c.MediaType))).ToList();
        return candidates.FirstOrDefault(c => c.Platform == platform) ?? candidates.FirstOrDefault();
    }

    /// <summary>The Accept header of manifest requests, joined once (not parsed into header objects per request).</summary>
    private static readonly string ManifestAcceptHeader = string.Join(", ", MediaTypes.ManifestAccept);

    private static void AcceptManifests(HttpRequestMessage request) =>
        request.Headers.TryAddWithoutValidation("Accept", ManifestAcceptHeader);

    private static string ManifestPath(ImageReference reference) => $"v2/{reference.Path}/manifests/{reference.Identifier}";

    private async Task<ManifestResponse> FetchManifestAsync(RegistryEndpoint endpoint, ImageReference reference, CancellationToken cancellationToken)
    {
        using var response = await SendAsync(endpoint, HttpMethod.Get, ManifestPath(reference), PullScope(reference.Repository), AcceptManifests, cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            throw await ErrorAsync(response, endpoint, "manifest", reference.ToString(), cancellationToken);
        }

        var body = await BoundedContent.ReadAsync(response.Content, MaxManifestBytes, cancellationToken)
            ?? throw new RegistryException($"{reference}: manifest is larger than {MaxManifestBytes} bytes", reference.ToString(), response.StatusCode) { Registry = endpoint.Registry };

        var pinned = reference.Digest;
        Digest actual;
        if (pinned is { } p)
        {
            using var hash = p.CreateHash();
            hash.AppendData(body);
            actual = Digest.FromHash(p.Algorithm, hash.GetHashAndReset());
            if (actual != p)
            {
                throw new DigestMismatchException(reference.ToString(), p, actual, body.Length, body.Length) { Registry = endpoint.Registry };
            }
        }
        else
        {
            actual = Digest.Sha256(body);
            if (response.Headers.TryGetValues("Docker-Content-Digest", out var values)
                && Digest.TryParse(values.FirstOrDefault(), out var claimed, out _)
                && claimed.Algorithm == "sha256" && claimed != actual)
            {
                throw new DigestMismatchException(reference.ToString(), claimed, actual, body.Length, body.Length) { Registry = endpoint.Registry };
            }
        }

        var mediaType = MediaTypeOf(response.Content.Headers.ContentType?.MediaType, body, reference);
        return new ManifestResponse(mediaType, actual, body);
    }

    /// <summary>The manifest's media type from Content-Type, or from the document when the header is generic.</summary>
    private static string MediaTypeOf(string? contentType, byte[] body, ImageReference reference)
    {
        JsonManifest? doc = null;
        try
        {
            doc = JsonSerializer.Deserialize(body, RegistryJsonContext.Default.JsonManifest);
        }
        catch (JsonException ex)
        {
            throw new RegistryException($"{reference}: manifest is not valid JSON ({ex.Message})", reference.ToString(), innerException: ex);
        }

        var mediaType = contentType;
        if (mediaType is null or "application/json" or "text/plain" or "application/octet-stream" || (doc?.MediaType is { } declared && MediaTypes.IsSchema1(declared)))
        {
            mediaType = doc?.MediaType
                ?? (doc?.SchemaVersion == 1 ? MediaTypes.DockerManifestSchema1
                    : doc?.Manifests is not null ? MediaTypes.OciIndex
                    : doc?.Config is not null ? MediaTypes.OciManifest
                    : contentType ?? "(none)");
        }

        if (MediaTypes.IsSchema1(mediaType) || doc?.SchemaVersion == 1)
        {
            throw new RegistryException(
                $"{reference} is a Docker schema 1 manifest ('{mediaType}'), which is not supported: push the image again with a current Docker, podman or skopeo",
                reference.ToString());
        }

        if (!MediaTypes.IsManifest(mediaType) && !MediaTypes.IsIndex(mediaType))
        {
            throw new RegistryException(
                $"{reference} has the unsupported manifest media type '{Clean(mediaType, 200)}' (supported: {string.Join(", ", MediaTypes.ManifestAccept)})",
                reference.ToString());
        }

        return mediaType;
    }

    private static JsonManifest Deserialize(ManifestResponse manifest, ImageReference reference)
    {
        try
        {
            return JsonSerializer.Deserialize(manifest.Content.Span, RegistryJsonContext.Default.JsonManifest)
                ?? throw new RegistryException($"{reference}: manifest {manifest.Digest} is 'null'", reference.ToString());
        }
        catch (JsonException ex)
        {
            throw new RegistryException($"{reference}: manifest {manifest.Digest} is not valid JSON ({ex.Message})", reference.ToString(), innerException: ex);
        }
    }

    private static Descriptor ToDescriptor(JsonDescriptor json, ImageReference reference, string what)
    {
        if (string.IsNullOrEmpty(json.MediaType))
        {
            throw new RegistryException($"{reference}: {what} has no mediaType", reference.ToString());
        }

        if (!Digest.TryParse(json.Digest, out var digest, out var reason))
        {
            throw new RegistryException($"{reference}: {what} has an invalid digest: {reason}", reference.ToString());
        }

        if (json.Size < 0)
        {
            throw new RegistryException($"{reference}: {what} ({digest}) has no valid size", reference.ToString());
        }

        Platform? platform = null;
        if (json.Platform is { Os: { Length: > 0 } os, Architecture: { Length: > 0 } arch } p)
        {
            platform = new Platform(os, arch, string.IsNullOrEmpty(p.Variant) ? null : p.Variant);
        }

        return new Descriptor(json.MediaType, digest, json.Size)
        {
            Platform = platform,
            Annotations = json.Annotations,
            Urls = json.Urls,
        };
    }

    private static Platform? ParseConfigPlatform(byte[] config, ImageReference reference)
    {
        try
        {
            var doc = JsonSerializer.Deserialize(config, RegistryJsonContext.Default.JsonPlatform);
            return doc is { Os: { Length: > 0 } os, Architecture: { Length: > 0 } arch }
                ? new Platform(os, arch, string.IsNullOrEmpty(doc.Variant) ? null : doc.Variant)
                : null;
        }
        catch (JsonException ex)
        {
            throw new RegistryException($"{reference}: image config is not valid JSON ({ex.Message})", reference.ToString(), innerException: ex);
        }
    }

    private static bool IsUnknown(Platform p) => p.Os == "unknown" || p.Architecture == "unknown";

    private static string DescribePlatforms(IReadOnlyList<Descriptor> children)
    {
        var platforms = children.Select(c => c.Platform).OfType<Platform>().Where(p => !IsUnknown(p)).Distinct().Select(p => p.ToString()).ToList();
        return platforms.Count == 0 ? "no platforms" : string.Join(", ", platforms);
    }
}
