using System.Security.Cryptography;

namespace CvmfsImages.Registry.Names;

/// <summary>
/// A content digest, <c>algorithm:hex</c>. Only <c>sha256</c> (64 hex) and <c>sha512</c> (128 hex) are accepted, in
/// lower case, as the OCI image specification registers them; anything else is refused, not guessed at.
/// </summary>
public readonly record struct Digest
{
    private Digest(string algorithm, string hex)
    {
        Algorithm = algorithm;
        Hex = hex;
    }

    /// <summary><c>sha256</c> or <c>sha512</c>.</summary>
    public string Algorithm { get; }

    /// <summary>The encoded part: lower-case hexadecimal.</summary>
    public string Hex { get; }

    /// <summary>True for the default value, which is not a digest.</summary>
    public bool IsEmpty => Algorithm is null;

    /// <summary>Parses <c>sha256:&lt;64 hex&gt;</c> or <c>sha512:&lt;128 hex&gt;</c>.</summary>
    /// <exception cref="ReferenceFormatException">The text is not such a digest; the message says why.</exception>
    public static Digest Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return TryParse(text, out var digest, out var reason) ? digest : throw new ReferenceFormatException(text, reason);
    }

    /// <summary>Parses a digest; on failure <paramref name="reason"/> says what is wrong.</summary>
    public static bool TryParse(string? text, out Digest digest, out string reason)
    {
        digest = default;
        if (string.IsNullOrEmpty(text))
        {
            reason = "digest is empty";
            return false;
        }

        var colon = text.IndexOf(':', StringComparison.Ordinal);
        if (colon <= 0)
        {
            reason = "digest must be 'algorithm:hex', e.g. 'sha256:' followed by 64 hex digits";
            return false;
        }

        var algorithm = text[..colon];
        var hex = text[(colon + 1)..];
        var expected = algorithm switch
        {
            "sha256" => 64,
            "sha512" => 128,
            _ => 0,
        };
        if (expected == 0)
        {
            reason = $"unsupported digest algorithm '{Truncate(algorithm)}' (sha256 and sha512 are supported)";
            return false;
        }

        if (hex.Length != expected)
        {
            reason = $"{algorithm} digest must have {expected} hex digits, not {hex.Length}";
            return false;
        }

        foreach (var c in hex)
        {
            if (!char.IsAsciiHexDigitLower(c) && !char.IsAsciiDigit(c))
            {
                reason = $"{algorithm} digest must be lower-case hexadecimal";
                return false;
            }
        }

        digest = new Digest(algorithm, hex);
        reason = string.Empty;
        return true;
    }

    /// <summary>The sha256 digest of <paramref name="content"/>.</summary>
    public static Digest Sha256(ReadOnlySpan<byte> content) =>
        new("sha256", Convert.ToHexStringLower(SHA256.HashData(content)));

    /// <summary>A digest from an algorithm name and a finished hash.</summary>
    public static Digest FromHash(string algorithm, ReadOnlySpan<byte> hash)
    {
        var digest = new Digest(algorithm, Convert.ToHexStringLower(hash));
        return TryParse(digest.ToString(), out var checkedDigest, out var reason)
            ? checkedDigest
            : throw new ArgumentException(reason, nameof(hash));
    }

    /// <summary>A fresh incremental hash of this digest's algorithm, for verifying a stream.</summary>
    public IncrementalHash CreateHash() => Algorithm switch
    {
        "sha256" => IncrementalHash.CreateHash(HashAlgorithmName.SHA256),
        "sha512" => IncrementalHash.CreateHash(HashAlgorithmName.SHA512),
        _ => throw new InvalidOperationException("the default Digest has no algorithm"),
    };

    public override string ToString() => IsEmpty ? string.Empty : $"{Algorithm}:{Hex}";

    internal static string Truncate(string value) => value.Length <= 64 ? value : value[..64] + "...";
}
