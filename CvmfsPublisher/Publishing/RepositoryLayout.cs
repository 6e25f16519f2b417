using System.Text;

namespace CvmfsImages.Publisher.Publishing;

/// <summary>
/// Where things live in the repository (compatible with singularity.opensciencegrid.org):
/// <code>
/// .images/&lt;d[0:2]&gt;/&lt;d[2:]&gt;/        one flattened image (d: hex of its config digest), with a .cvmfscatalog
/// .images/&lt;d[0:2]&gt;/&lt;d[2:]&gt;.json    its metadata (<see cref="ImageMetadata"/>)
/// &lt;tag path&gt;                          a relative symlink into .images/
/// </code>
/// Tag paths: <c>osg</c> style drops the registry host and keeps Docker Hub's <c>library/</c>
/// (<c>library/python:3.12</c>); <c>registry</c> style keeps the host (<c>docker.io/library/python:3.12</c>).
/// A digest pin is <c>&lt;path&gt;@sha256:&lt;hex&gt;</c> (the digest wins over a tag given with it).
/// Multi-platform: the first configured platform is published at the plain path; every other platform at
/// <c>&lt;tag path&gt;@&lt;os&gt;-&lt;arch&gt;[-&lt;variant&gt;]</c>, e.g. <c>library/python:3.12@linux-arm64-v8</c>.
/// </summary>
public static partial class RepositoryLayout
{
    /// <summary>The top-level directory that holds the images.</summary>
    public const string ImagesDirectory = ".images";

    /// <summary>The marker file that makes a directory its own nested catalog.</summary>
    public const string CatalogMarker = ".cvmfscatalog";

    private const int MaxTagPathLength = 4096;
    private const int MaxComponentBytes = 255;
    private const string Sha256Prefix = "sha256:";
    private static readonly System.Buffers.SearchValues<char> LowerHex = System.Buffers.SearchValues.Create("0123456789abcdef");

    /// <summary>The tag path of a reference; throws <see cref="InvalidTagPathException"/> when it would be unsafe.</summary>
    /// <param name="registry">The registry host, e.g. <c>docker.io</c>.</param>
    /// <param name="repositoryPath">The repository path, e.g. <c>library/python</c>.</param>
    /// <param name="tag">The tag, or null for a digest pin.</param>
    /// <param name="digest">The pinned digest, or null.</param>
    /// <param name="style">The path style.</param>
    /// <param name="platformSuffix">For a non-primary platform, <see cref="PlatformSuffix"/>; otherwise null.</param>
    public static string TagPath(string registry, string repositoryPath, string? tag, string? digest, PathStyle style, string? platformSuffix = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(registry);
        ArgumentException.ThrowIfNullOrEmpty(repositoryPath);
        if (tag is null && digest is null)
        {
            throw new ArgumentException($"'{registry}/{repositoryPath}' needs a tag or a digest to have a path", nameof(tag));
        }

        var builder = new StringBuilder();
        switch (style)
        {
            case PathStyle.Osg:
                break;
            case PathStyle.Registry:
                builder.Append(registry).Append('/');
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(style), style, "unknown path style");
        }

        builder.Append(repositoryPath);
        if (digest is not null)
        {
            builder.Append('@').Append(digest);
        }
        else
        {
            builder.Append(':').Append(tag);
        }

        if (platformSuffix is not null)
        {
            if (platformSuffix.Length == 0 || !platformSuffix.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c is '-' or '_' or '.'))
            {
                throw new ArgumentException($"platform suffix '{Printable(platformSuffix)}' must be lower-case letters, digits, '-', '_' or '.'", nameof(platformSuffix));
            }

            builder.Append('@').Append(platformSuffix);
        }

        var path = builder.ToString();
        ValidateTagPath(path);
        return path;
    }

    /// <summary>The suffix that names a non-primary platform: <c>linux-arm64</c>, <c>linux-arm-v7</c>.</summary>
    public static string PlatformSuffix(string os, string architecture, string? variant = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(os);
        ArgumentException.ThrowIfNullOrEmpty(architecture);
        var suffix = string.IsNullOrEmpty(variant) ? $"{os}-{architecture}" : $"{os}-{architecture}-{variant}";
        return suffix.ToLowerInvariant();
    }

    /// <summary>
    /// <c>.images/ab/cdef...</c> for the config digest <c>sha256:abcdef...</c> (or an image key of the same form: an
    /// OSG directory named by its layer hash); <c>.images/sha256:ab/cdef...</c> for an OSG manifest-list key
    /// (<see cref="IndexKeyPrefix"/>).
    /// </summary>
    public static string ImageDirectory(string configDigest)
    {
        ArgumentNullException.ThrowIfNull(configDigest);
        if (configDigest.StartsWith(IndexKeyPrefix, StringComparison.Ordinal))
        {
            var index = DigestHex(configDigest[IndexKeyPrefix.Length..]);
            return $"{ImagesDirectory}/{Sha256Prefix}{index[..2]}/{index[2..]}";
        }

        var hex = DigestHex(configDigest);
        return $"{ImagesDirectory}/{hex[..2]}/{hex[2..]}";
    }

    /// <summary><c>.images/ab/cdef....json</c>: the metadata file beside the image directory.</summary>
    public static string MetadataFile(string configDigest) => ImageDirectory(configDigest) + ".json";

    /// <summary>
    /// Checks a tag path before anything is written for it (it derives from list input). Throws
    /// <see cref="InvalidTagPathException"/> naming the path and the reason.
    /// </summary>
    public static void ValidateTagPath(string tagPath)
    {
        ArgumentNullException.ThrowIfNull(tagPath);
        if (tagPath.Length == 0)
        {
            throw new InvalidTagPathException(tagPath, "it is empty");
        }

        if (tagPath.Length > MaxTagPathLength)
        {
            throw new InvalidTagPathException(tagPath[..64] + "...", $"it is longer than {MaxTagPathLength} characters");
        }

        if (tagPath[0] == '/')
        {
            throw new InvalidTagPathException(tagPath, "it is absolute; tag paths are relative to the repository root");
        }

        foreach (var c in tagPath)
        {
            if (char.IsControl(c) || c == '\\' || char.IsSurrogate(c) || c == '\uFFFD')
            {
                throw new InvalidTagPathException(tagPath, $"it contains the character U+{(int)c:X4}");
            }
        }

        var components = tagPath.Split('/');
        foreach (var component in components)
        {
            if (component.Length == 0)
            {
                throw new InvalidTagPathException(tagPath, "it has an empty component ('//' or a trailing '/')");
            }

            if (component is "." or "..")
            {
                throw new InvalidTagPathException(tagPath, $"it has a '{component}' component");
            }

            if (component[0] == '.')
            {
                throw new InvalidTagPathException(tagPath, $"component '{component}' starts with '.' (reserved for {ImagesDirectory}, catalogs and the publisher)");
            }

            if (Encoding.UTF8.GetByteCount(component) > MaxComponentBytes)
            {
                throw new InvalidTagPathException(tagPath, $"a component is longer than {MaxComponentBytes} bytes");
            }
        }

        var last = components[^1];
        if (!last.Contains(':', StringComparison.Ordinal) && !last.Contains('@', StringComparison.Ordinal))
        {
            throw new InvalidTagPathException(tagPath, "its last component has no ':<tag>' or '@<digest>'");
        }
    }

    /// <summary>The hex part of a <c>sha256:</c> config digest; <see cref="ArgumentException"/> naming it otherwise.</summary>
    internal static string DigestHex(string configDigest)
    {
        ArgumentNullException.ThrowIfNull(configDigest);
        if (!IsConfigDigest(configDigest))
        {
            throw new ArgumentException($"'{Printable(configDigest)}' is not a config digest: expected 'sha256:' and 64 lower-case hex digits", nameof(configDigest));
        }

        return configDigest[Sha256Prefix.Length..];
    }

    internal static bool IsConfigDigest(string? text) =>
        text is not null && text.Length == Sha256Prefix.Length + 64 && text.StartsWith(Sha256Prefix, StringComparison.Ordinal) &&
        !text.AsSpan(Sha256Prefix.Length).ContainsAnyExcept(LowerHex);

    /// <summary>The relative symlink target from <paramref name="tagPath"/> to the image directory.</summary>
    internal static string LinkTarget(string tagPath, string configDigest)
    {
        var depth = tagPath.Count(c => c == '/');
        return string.Concat(Enumerable.Repeat("../", depth)) + ImageDirectory(configDigest);
    }

    /// <summary>
    /// The image key a tag symlink points at: a relative target that resolves lexically from the link's directory to
    /// an image directory, or an absolute one inside <paramref name="mountPath"/> (how OSG's script links tags).
    /// </summary>
    internal static bool TryParseLinkTarget(string tagPath, string target, string? mountPath, out string configDigest)
    {
        configDigest = string.Empty;
        List<string> stack;
        if (target.StartsWith('/'))
        {
            var mount = mountPath is null ? null : Path.TrimEndingDirectorySeparator(mountPath);
            if (string.IsNullOrEmpty(mount) || !target.StartsWith(mount + "/", StringComparison.Ordinal))
            {
                return false;
            }

            // Inside the mount path: no '..' at all (a link that leaves and re-enters is not one OSG writes).
            stack = [];
            foreach (var part in target[(mount.Length + 1)..].Split('/'))
            {
                switch (part)
                {
                    case "" or ".":
                        continue;
                    case "..":
                        return false;
                    default:
                        stack.Add(part);
                        break;
                }
            }
        }
        else
        {
            // Resolve the target lexically from the link's directory; it must land exactly on an image directory.
            stack = new List<string>(tagPath.Split('/')[..^1]);
            foreach (var part in target.Split('/'))
            {
                switch (part)
                {
                    case "" or ".":
                        continue;
                    case "..":
                        if (stack.Count == 0)
                        {
                            return false;
                        }

                        stack.RemoveAt(stack.Count - 1);
                        break;
                    default:
                        stack.Add(part);
                        break;
                }
            }
        }

        if (stack.Count != 3 || stack[0] != ImagesDirectory || !TryParseImageDirectory(stack[1], stack[2], out var key))
        {
            return false;
        }

        configDigest = key;
        return true;
    }

    /// <summary>Text safe to put in a message: control characters escaped, long input cut.</summary>
    internal static string Printable(string text)
    {
        var cut = text.Length > 200 ? text[..200] + "..." : text;
        var builder = new StringBuilder(cut.Length);
        foreach (var c in cut)
        {
            if (char.IsControl(c) || char.IsSurrogate(c))
            {
                builder.Append(@"\u").Append(((int)c).ToString("x4", System.Globalization.CultureInfo.InvariantCulture));
            }
            else
            {
                builder.Append(c);
            }
        }

        return builder.ToString();
    }
}
