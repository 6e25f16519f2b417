using System.Text.Json.Serialization;

namespace CvmfsImages.Registry.Json;

/// <summary>A Docker <c>config.json</c>, as far as credentials go.</summary>
internal sealed class JsonDockerConfig
{
    [JsonPropertyName("auths")]
    public Dictionary<string, JsonDockerAuth>? Auths { get; set; }
}
