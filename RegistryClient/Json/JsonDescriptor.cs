using System.Text.Json.Serialization;

namespace CvmfsImages.Registry.Json;

/// <summary>A descriptor as manifests and indexes spell it.</summary>
internal sealed class JsonDescriptor
{
    [JsonPropertyName("mediaType")]
    public string? MediaType { get; set; }

    [JsonPropertyName("digest")]
    public string? Digest { get; set; }

    [JsonPropertyName("size")]
    public long Size { get; set; } = -1;

    [JsonPropertyName("platform")]
    public JsonPlatform? Platform { get; set; }

    [JsonPropertyName("annotations")]
    public Dictionary<string, string>? Annotations { get; set; }

    [JsonPropertyName("urls")]
    public List<string>? Urls { get; set; }
}
