namespace CvmfsImages.Publisher.Publishing;

/// <summary>
/// Image keys: how the publisher names an image directory. Images it published itself are named by their config
/// digest (<c>sha256:&lt;hex&gt;</c>, directory <c>.images/&lt;2&gt;/&lt;62&gt;</c>). A repository built by OSG's
/// <c>cvmfs-singularity-sync</c> also holds directories named by OSG's layer hash in the same form, and, for a
/// manifest list, by its digest with the colon kept: <c>.images/sha256:&lt;2&gt;/&lt;62&gt;</c>, whose key is
/// <see cref="IndexKeyPrefix"/> + the digest. A directory with no metadata of ours is a foreign image: read, kept,
/// adoptable, and removed only after its grace period.
/// </summary>
public static partial class RepositoryLayout
{
    /// <summary>The key prefix of an OSG directory named by a manifest list's digest (<c>.images/sha256:xx/...</c>).</summary>
    public const string IndexKeyPrefix = "osg-index:";

    /// <summary>Whether <paramref name="text"/> names an image directory: a config digest or an OSG index key.</summary>
    public static bool IsImageKey(string? text) =>
        IsConfigDigest(text) || (text is not null && text.StartsWith(IndexKeyPrefix, StringComparison.Ordinal) && IsConfigDigest(text[IndexKeyPrefix.Length..]));

    /// <summary>Throws <see cref="ArgumentException"/> naming <paramref name="key"/> when it is not an image key.</summary>
    internal static void RequireImageKey(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (!IsImageKey(key))
        {
            throw new ArgumentException($"'{Printable(key)}' is not an image key: expected 'sha256:' and 64 lower-case hex digits, or '{IndexKeyPrefix}sha256:...'", nameof(key));
        }
    }

    /// <summary>The image key of an OSG image directory (relative, <c>.images/xx/yyyy</c>), or null when it is not one.</summary>
    public static string? KeyOfDirectory(string relativeDirectory)
    {
        ArgumentNullException.ThrowIfNull(relativeDirectory);
        var parts = relativeDirectory.Split('/');
        return parts.Length == 3 && parts[0] == ImagesDirectory && TryParseImageDirectory(parts[1], parts[2], out var key) ? key : null;
    }

    /// <summary>The key of an image's directory: its config digest, or the OSG directory it was adopted from.</summary>
    public static string KeyOf(ImageMetadata metadata)
    {
        ArgumentNullException.ThrowIfNull(metadata);
        return metadata.AdoptedFrom is { } adopted && KeyOfDirectory(adopted) is { } key ? key : metadata.ConfigDigest;
    }

    /// <summary>
    /// The key of <c>.images/&lt;prefix&gt;/&lt;name&gt;</c>: <c>sha256:&lt;prefix&gt;&lt;name&gt;</c> for two and 62
    /// lower-case hex digits, <see cref="IndexKeyPrefix"/><c>sha256:...</c> for <c>sha256:&lt;2 hex&gt;</c> and 62.
    /// </summary>
    internal static bool TryParseImageDirectory(string prefix, string name, out string key)
    {
        key = string.Empty;
        if (name.Length != 62)
        {
            return false;
        }

        if (prefix.Length == 2 && IsConfigDigest(Sha256Prefix + prefix + name))
        {
            key = Sha256Prefix + prefix + name;
            return true;
        }

        if (prefix.Length == Sha256Prefix.Length + 2 && prefix.StartsWith(Sha256Prefix, StringComparison.Ordinal) &&
            IsConfigDigest(Sha256Prefix + prefix[Sha256Prefix.Length..] + name))
        {
            key = IndexKeyPrefix + Sha256Prefix + prefix[Sha256Prefix.Length..] + name;
            return true;
        }

        return false;
    }

    /// <summary>A file-name-safe form of a key (for trash entries): its hex, with <c>index-</c> before an index key's.</summary>
    internal static string KeyName(string key) =>
        key.StartsWith(IndexKeyPrefix, StringComparison.Ordinal) ? "index-" + DigestHex(key[IndexKeyPrefix.Length..]) : DigestHex(key);

    /// <summary>The symlink target for a tag: relative (from the tag's directory) or absolute under <paramref name="mountPath"/>.</summary>
    internal static string LinkTarget(string tagPath, string key, TagLinks style, string mountPath) => style == TagLinks.Absolute
        ? Path.TrimEndingDirectorySeparator(mountPath) + "/" + ImageDirectory(key)
        : LinkTarget(tagPath, key);
}
