using System.Text.Json.Serialization;

namespace CvmfsImages.Runtime.Inspect;

/// <summary>Source-generated (AOT-clean) serialisation of the inspect output.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, WriteIndented = true,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(InspectDocument))]
internal sealed partial class InspectJsonContext : JsonSerializerContext;
