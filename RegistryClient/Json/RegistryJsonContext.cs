using System.Text.Json.Serialization;

namespace CvmfsImages.Registry.Json;

/// <summary>Source-generated (AOT-safe) serialisation of every JSON document the client reads.</summary>
[JsonSourceGenerationOptions(
    GenerationMode = JsonSourceGenerationMode.Metadata,
    ReadCommentHandling = System.Text.Json.JsonCommentHandling.Disallow,
    NumberHandling = JsonNumberHandling.Strict)]
[JsonSerializable(typeof(JsonManifest))]
[JsonSerializable(typeof(JsonPlatform))]
[JsonSerializable(typeof(JsonErrorBody))]
[JsonSerializable(typeof(JsonTagList))]
[JsonSerializable(typeof(JsonTokenResponse))]
internal sealed partial class RegistryJsonContext : JsonSerializerContext;
