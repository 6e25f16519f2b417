using System.Text.Json.Serialization;

namespace CvmfsImages.Registry.Json;

/// <summary>The <c>platform</c> object of an index entry; also the platform fields at the top of an image config.</summary>
internal sealed class JsonPlatform
{
    [JsonPropertyName("os")]
    public string? Os { get; set; }

    [JsonPropertyName("architecture")]
    public string? Architecture { get; set; }

    [JsonPropertyName("variant")]
    public string? Variant { get; set; }
}
