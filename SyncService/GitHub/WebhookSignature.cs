using System.Security.Cryptography;
using System.Text;

namespace CvmfsImages.Sync.GitHub;

/// <summary>
/// GitHub's <c>X-Hub-Signature-256</c>: <c>sha256=</c> + hex HMAC-SHA256 of the raw body with the shared secret.
/// The service only verifies; the signing side (what GitHub does) is the tests' <c>WebhookSigner</c>.
/// </summary>
internal static class WebhookSignature
{
    private const string Prefix = "sha256=";

    /// <summary>True when <paramref name="header"/> is the signature of <paramref name="body"/>; compared in constant time.</summary>
    public static bool Verify(string secret, ReadOnlySpan<byte> body, string? header)
    {
        ArgumentException.ThrowIfNullOrEmpty(secret);
        if (header is null || !header.StartsWith(Prefix, StringComparison.Ordinal) || header.Length != Prefix.Length + 64)
        {
            return false;
        }

        Span<byte> given = stackalloc byte[32];
        try
        {
            if (Convert.FromHexString(header.AsSpan(Prefix.Length), given, out _, out var written) != System.Buffers.OperationStatus.Done || written != 32)
            {
                return false;
            }
        }
        catch (FormatException)
        {
            return false;
        }

        Span<byte> expected = stackalloc byte[32];
        HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), body, expected);
        return CryptographicOperations.FixedTimeEquals(given, expected);
    }
}
