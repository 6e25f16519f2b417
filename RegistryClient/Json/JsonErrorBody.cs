using System.Text.Json.Serialization;

namespace CvmfsImages.Registry.Json;

/// <summary><c>{"errors":[...]}</c>, the body of a registry's error response.</summary>
internal sealed class JsonErrorBody
{
    [JsonPropertyName("errors")]
    public List<JsonErrorEntry>? Errors { get; set; }
}
