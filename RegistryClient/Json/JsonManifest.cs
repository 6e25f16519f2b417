using System.Text.Json.Serialization;

namespace CvmfsImages.Registry.Json;

/// <summary>An image manifest or an index (the fields of both; which one it is comes from the media type).</summary>
internal sealed class JsonManifest
{
    [JsonPropertyName("schemaVersion")]
    public int SchemaVersion { get; set; }

    [JsonPropertyName("mediaType")]
    public string? MediaType { get; set; }

    [JsonPropertyName("config")]
    public JsonDescriptor? Config { get; set; }

    [JsonPropertyName("layers")]
    public List<JsonDescriptor>? Layers { get; set; }

    [JsonPropertyName("manifests")]
    public List<JsonDescriptor>? Manifests { get; set; }
}
