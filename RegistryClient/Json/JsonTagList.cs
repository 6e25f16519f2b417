using System.Text.Json.Serialization;

namespace CvmfsImages.Registry.Json;

/// <summary>One page of <c>/v2/NAME/tags/list</c>.</summary>
internal sealed class JsonTagList
{
    [JsonPropertyName("name")]
    public string? Name { get; set; }

    [JsonPropertyName("tags")]
    public List<string>? Tags { get; set; }
}
