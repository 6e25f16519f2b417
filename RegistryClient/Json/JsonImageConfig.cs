using System.Text.Json.Serialization;

namespace CvmfsImages.Registry.Json;

/// <summary>The few fields of an image config the client needs (its platform); the rest is for the flattener.</summary>
internal sealed class JsonImageConfig
{
    [JsonPropertyName("os")]
    public string? Os { get; set; }

    [JsonPropertyName("architecture")]
    public string? Architecture { get; set; }

    [JsonPropertyName("variant")]
    public string? Variant { get; set; }
}
