namespace CvmfsImages.Registry;

/// <summary>
/// An image platform: operating system, CPU architecture and optional variant, spelled as in OCI image indexes
/// (<c>linux/amd64</c>, <c>linux/arm64/v8</c>, <c>linux/arm/v7</c>).
/// </summary>
public sealed record Platform(string Os, string Architecture, string? Variant = null)
{
    /// <summary><c>linux/amd64</c>, the default platform.</summary>
    public static Platform LinuxAmd64 { get; } = new("linux", "amd64");

    /// <summary>Parses <c>os/arch</c> or <c>os/arch/variant</c>.</summary>
    /// <exception cref="FormatException">The text is not such a platform; the message quotes it.</exception>
    public static Platform Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return TryParse(text, out var platform, out var reason)
            ? platform
            : throw new FormatException($"invalid platform '{Truncate(text)}': {reason}");
    }

    /// <summary>Parses a platform; on failure <paramref name="reason"/> says what is wrong.</summary>
    public static bool TryParse(string? text, out Platform platform, out string reason)
    {
        platform = null!;
        if (string.IsNullOrEmpty(text))
        {
            reason = "platform is empty";
            return false;
        }

        var parts = text.Split('/');
        if (parts.Length is < 2 or > 3)
        {
            reason = "expected 'os/architecture' or 'os/architecture/variant', e.g. 'linux/amd64' or 'linux/arm64/v8'";
            return false;
        }

        foreach (var part in parts)
        {
            if (part.Length == 0 || part.Length > 32 || !part.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c is '_' or '-' or '.'))
            {
                reason = "each part must be 1-32 lower-case letters, digits, '_', '-' or '.'";
                return false;
            }
        }

        platform = new Platform(parts[0], parts[1], parts.Length == 3 ? parts[2] : null);
        reason = string.Empty;
        return true;
    }

    /// <summary>
    /// True when an image built for <paramref name="candidate"/> serves this platform: os and architecture equal; a
    /// variant here must equal the candidate's (arm64's <c>v8</c> also matches no variant); no variant here accepts any.
    /// </summary>
    public bool Accepts(Platform candidate)
    {
        ArgumentNullException.ThrowIfNull(candidate);
        if (!string.Equals(Os, candidate.Os, StringComparison.Ordinal)
            || !string.Equals(Architecture, candidate.Architecture, StringComparison.Ordinal))
        {
            return false;
        }

        if (Variant is null)
        {
            return true;
        }

        return string.Equals(Variant, candidate.Variant, StringComparison.Ordinal)
            || (Architecture == "arm64" && Variant == "v8" && candidate.Variant is null);
    }

    /// <summary><c>os/arch</c> or <c>os/arch/variant</c>.</summary>
    public override string ToString() => Variant is null ? $"{Os}/{Architecture}" : $"{Os}/{Architecture}/{Variant}";

    private static string Truncate(string value) => value.Length <= 64 ? value : value[..64] + "...";
}
