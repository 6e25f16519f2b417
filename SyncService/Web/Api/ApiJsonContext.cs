using System.Text.Json;
using System.Text.Json.Serialization;

namespace CvmfsImages.Sync.Web.Api;

/// <summary>Source-generated JSON for the API: camelCase names, ISO 8601 times, nulls written (the schema lists every field).</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, WriteIndented = false)]
[JsonSerializable(typeof(ApiStatus))]
[JsonSerializable(typeof(ApiImages))]
[JsonSerializable(typeof(ApiImage))]
[JsonSerializable(typeof(ApiError))]
internal sealed partial class ApiJsonContext : JsonSerializerContext;
