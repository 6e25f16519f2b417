namespace CvmfsImages.Registry.Names;

/// <summary>
/// An image reference, <c>name[:tag][@digest]</c>, validated and normalised when parsed (no I/O):
/// <c>python</c> is <c>docker.io/library/python:latest</c>; a reference with a digest and no tag keeps no tag; one with
/// neither gets <c>latest</c>. See <see cref="RepositoryName"/> for the name rules. Tags match
/// <c>[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}</c>; digests are <c>sha256:</c>/<c>sha512:</c> in lower-case hex.
/// <see cref="ToString"/> gives the canonical full form, which parses back to an equal reference.
/// </summary>
public sealed record ImageReference
{
    /// <summary>The tag a reference without tag or digest gets.</summary>
    public const string DefaultTag = "latest";

    /// <summary>The longest tag the grammar allows.</summary>
    public const int MaxTagLength = 128;

    /// <summary>Longer input is refused before any parsing (the longest valid reference is far shorter).</summary>
    public const int MaxInputLength = 1024;

    private ImageReference(RepositoryName repository, string? tag, Digest? digest)
    {
        Repository = repository;
        Tag = tag;
        Digest = digest;
    }

    /// <summary>The registry and path.</summary>
    public RepositoryName Repository { get; }

    /// <summary>The tag, or null for a digest-only reference.</summary>
    public string? Tag { get; }

    /// <summary>The digest pin, or null.</summary>
    public Digest? Digest { get; }

    /// <summary>Shorthand for <c>Repository.Registry</c>.</summary>
    public string Registry => Repository.Registry;

    /// <summary>Shorthand for <c>Repository.Path</c>.</summary>
    public string Path => Repository.Path;

    /// <summary>What to ask the registry for: the digest when pinned, else the tag.</summary>
    public string Identifier => Digest?.ToString() ?? Tag!;

    /// <summary>Parses and normalises a reference.</summary>
    /// <exception cref="ReferenceFormatException">It breaks the grammar; the message quotes it and says how.</exception>
    public static ImageReference Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return TryParse(text, out var reference, out var reason) ? reference : throw new ReferenceFormatException(text, reason);
    }

    /// <summary>Parses a reference; on failure <paramref name="reason"/> says what is wrong (without the input).</summary>
    public static bool TryParse(string? text, out ImageReference reference, out string reason)
    {
        reference = null!;
        if (string.IsNullOrEmpty(text))
        {
            reason = "reference is empty";
            return false;
        }

        if (text.Length > MaxInputLength)
        {
            reason = $"reference is longer than {MaxInputLength} characters";
            return false;
        }

        foreach (var c in text)
        {
            if (char.IsWhiteSpace(c) || char.IsControl(c) || c > '\x7e')
            {
                reason = char.IsWhiteSpace(c) ? "reference contains whitespace" : "reference contains a character outside printable ASCII";
                return false;
            }
        }

        var rest = text;
        Digest? digest = null;
        var at = rest.IndexOf('@', StringComparison.Ordinal);
        if (at >= 0)
        {
            if (!Names.Digest.TryParse(rest[(at + 1)..], out var parsed, out reason))
            {
                return false;
            }

            digest = parsed;
            rest = rest[..at];
        }

        string? tag = null;
        var colon = rest.LastIndexOf(':');
        if (colon > rest.LastIndexOf('/'))
        {
            tag = rest[(colon + 1)..];
            rest = rest[..colon];
            if (!ValidateTag(tag, out reason))
            {
                return false;
            }
        }

        if (!RepositoryName.TryParse(rest, out var repository, out reason))
        {
            return false;
        }

        reference = new ImageReference(repository, tag ?? (digest is null ? DefaultTag : null), digest);
        return true;
    }

    /// <summary>Checks a tag against the grammar; on failure <paramref name="reason"/> says why.</summary>
    public static bool ValidateTag(string tag, out string reason)
    {
        ArgumentNullException.ThrowIfNull(tag);
        if (tag.Length == 0)
        {
            reason = "tag is empty (nothing after ':')";
            return false;
        }

        if (tag.Length > MaxTagLength)
        {
            reason = $"tag is longer than {MaxTagLength} characters";
            return false;
        }

        if (!IsWordChar(tag[0]))
        {
            reason = $"tag '{Names.Digest.Truncate(tag)}' must start with a letter, digit or '_'";
            return false;
        }

        foreach (var c in tag)
        {
            if (!IsWordChar(c) && c is not '.' and not '-')
            {
                reason = $"tag '{Names.Digest.Truncate(tag)}' may hold only letters, digits, '_', '.' and '-'";
                return false;
            }
        }

        reason = string.Empty;
        return true;
    }

    /// <summary>The same repository with another tag (and no digest).</summary>
    public ImageReference WithTag(string tag)
    {
        return ValidateTag(tag, out var reason)
            ? new ImageReference(Repository, tag, null)
            : throw new ReferenceFormatException(tag, reason);
    }

    /// <summary>The same repository and tag pinned to a digest.</summary>
    public ImageReference WithDigest(Digest digest)
    {
        if (digest.IsEmpty)
        {
            throw new ArgumentException("the digest is empty", nameof(digest));
        }

        return new ImageReference(Repository, Tag, digest);
    }

    /// <summary>A reference to a repository's tag, from an already parsed repository.</summary>
    public static ImageReference ForTag(RepositoryName repository, string tag)
    {
        ArgumentNullException.ThrowIfNull(repository);
        return ValidateTag(tag, out var reason)
            ? new ImageReference(repository, tag, null)
            : throw new ReferenceFormatException(tag, reason);
    }

    /// <summary>The short form people type: <c>python:3.12</c>, <c>ghcr.io/org/tool@sha256:...</c>.</summary>
    public string ToFamiliarString() => Repository.ToFamiliarString() + Suffix();

    /// <summary>The canonical full form, <c>docker.io/library/python:3.12</c>; parses back to an equal reference.</summary>
    public override string ToString() => Repository + Suffix();

    private string Suffix() => (Tag is null ? string.Empty : ":" + Tag) + (Digest is { } d ? "@" + d : string.Empty);

    private static bool IsWordChar(char c) => char.IsAsciiLetterOrDigit(c) || c == '_';
}
