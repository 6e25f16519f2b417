using System.Text.Json.Serialization;

namespace CvmfsImages.Registry.Json;

/// <summary>One entry of a Docker config.json's <c>auths</c>.</summary>
internal sealed class JsonDockerAuth
{
    [JsonPropertyName("auth")]
    public string? Auth { get; set; }

    [JsonPropertyName("username")]
    public string? Username { get; set; }

    [JsonPropertyName("password")]
    public string? Password { get; set; }

    [JsonPropertyName("identitytoken")]
    public string? IdentityToken { get; set; }
}
