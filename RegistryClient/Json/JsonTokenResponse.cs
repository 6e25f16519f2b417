using System.Text.Json.Serialization;

namespace CvmfsImages.Registry.Json;

/// <summary>A token server's answer (Docker's token spec: <c>token</c> or OAuth's <c>access_token</c>).</summary>
internal sealed class JsonTokenResponse
{
    [JsonPropertyName("token")]
    public string? Token { get; set; }

    [JsonPropertyName("access_token")]
    public string? AccessToken { get; set; }

    [JsonPropertyName("expires_in")]
    public int? ExpiresIn { get; set; }

    [JsonPropertyName("issued_at")]
    public DateTimeOffset? IssuedAt { get; set; }
}
