using System.Security.Cryptography;
using System.Text;

namespace CvmfsImages.Tests.SyncService.GitHub;

/// <summary>Signs a webhook body as GitHub does (<c>X-Hub-Signature-256</c>), for tests that play GitHub's part.</summary>
internal static class WebhookSigner
{
    /// <summary>The header value GitHub would send for <paramref name="body"/>.</summary>
    public static string Compute(string secret, ReadOnlySpan<byte> body)
    {
        ArgumentException.ThrowIfNullOrEmpty(secret);
        return "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), body));
    }
}
