using System.Text.Json.Serialization;

namespace CvmfsImages.Registry.Json;

/// <summary>One entry of a registry error body.</summary>
internal sealed class JsonErrorEntry
{
    [JsonPropertyName("code")]
    public string? Code { get; set; }

    [JsonPropertyName("message")]
    public string? Message { get; set; }
}
