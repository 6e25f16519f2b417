using System.Globalization;
using System.Text.Json;

namespace CvmfsImages.Publisher.Flattening;

/// <summary>
/// The parts of an OCI or Docker image config (<c>application/vnd.oci.image.config.v1+json</c>,
/// <c>application/vnd.docker.container.image.v1+json</c>) that shape the flattened tree and its Singularity metadata.
/// Missing fields are empty (or null); fields of the wrong JSON type are errors.
/// </summary>
public sealed class ImageConfig
{
    private ImageConfig()
    {
    }

    /// <summary><c>config.Env</c>: <c>NAME=value</c> strings, in order.</summary>
    public IReadOnlyList<string> Env { get; private init; } = [];

    /// <summary><c>config.Entrypoint</c>.</summary>
    public IReadOnlyList<string> Entrypoint { get; private init; } = [];

    /// <summary><c>config.Cmd</c>.</summary>
    public IReadOnlyList<string> Cmd { get; private init; } = [];

    /// <summary><c>rootfs.diff_ids</c>: the uncompressed digest of each layer, in order.</summary>
    public IReadOnlyList<string> DiffIds { get; private init; } = [];

    /// <summary><c>config.WorkingDir</c>, or null when empty.</summary>
    public string? WorkingDir { get; private init; }

    /// <summary><c>config.User</c>, or null when empty.</summary>
    public string? User { get; private init; }

    /// <summary><c>os</c>.</summary>
    public string? Os { get; private init; }

    /// <summary><c>architecture</c>.</summary>
    public string? Architecture { get; private init; }

    /// <summary><c>variant</c>.</summary>
    public string? Variant { get; private init; }

    /// <summary><c>config.Labels</c>.</summary>
    public IReadOnlyDictionary<string, string> Labels { get; private init; } = new Dictionary<string, string>(StringComparer.Ordinal);

    /// <summary><c>created</c>, when present and parseable as RFC 3339.</summary>
    public DateTimeOffset? Created { get; private init; }

    /// <summary>An empty config (no Env, no Entrypoint, no Cmd), for images whose config says nothing.</summary>
    public static ImageConfig Empty { get; } = new();

    /// <summary>Parses the raw config JSON.</summary>
    /// <exception cref="InvalidDataException">The bytes are not JSON, or a known field has the wrong type.</exception>
    public static ImageConfig Parse(ReadOnlySpan<byte> json)
    {
        try
        {
            var reader = new Utf8JsonReader(json, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Disallow, MaxDepth = 64 });
            using var doc = JsonDocument.ParseValue(ref reader);
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw new InvalidDataException($"Image config is not a JSON object (found {root.ValueKind}).");
            }

            var config = Property(root, "config", JsonValueKind.Object) ?? Property(root, "container_config", JsonValueKind.Object);
            var rootfs = Property(root, "rootfs", JsonValueKind.Object);
            return new ImageConfig
            {
                Env = config is { } c1 ? Strings(c1, "Env") : [],
                Entrypoint = config is { } c2 ? Strings(c2, "Entrypoint") : [],
                Cmd = config is { } c3 ? Strings(c3, "Cmd") : [],
                WorkingDir = config is { } c4 ? NonEmpty(String(c4, "WorkingDir")) : null,
                User = config is { } c5 ? NonEmpty(String(c5, "User")) : null,
                Labels = config is { } c6 ? Map(c6, "Labels") : new Dictionary<string, string>(StringComparer.Ordinal),
                DiffIds = rootfs is { } r ? Strings(r, "diff_ids") : [],
                Os = NonEmpty(String(root, "os")),
                Architecture = NonEmpty(String(root, "architecture")),
                Variant = NonEmpty(String(root, "variant")),
                Created = ParseTime(String(root, "created")),
            };
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"Image config is not valid JSON: {ex.Message}", ex);
        }
    }

    private static JsonElement? Property(JsonElement obj, string name, JsonValueKind kind)
    {
        if (!obj.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (value.ValueKind != kind)
        {
            throw new InvalidDataException($"Image config field '{name}' must be {kind}, found {value.ValueKind}.");
        }

        return value;
    }

    private static string? String(JsonElement obj, string name) => Property(obj, name, JsonValueKind.String)?.GetString();

    private static string? NonEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;

    private static string[] Strings(JsonElement obj, string name)
    {
        if (Property(obj, name, JsonValueKind.Array) is not { } array)
        {
            return [];
        }

        var list = new List<string>(array.GetArrayLength());
        foreach (var item in array.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.String)
            {
                throw new InvalidDataException($"Image config field '{name}' must hold strings, found {item.ValueKind}.");
            }

            list.Add(item.GetString()!);
        }

        return [.. list];
    }

    private static Dictionary<string, string> Map(JsonElement obj, string name)
    {
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        if (Property(obj, name, JsonValueKind.Object) is not { } value)
        {
            return map;
        }

        foreach (var prop in value.EnumerateObject())
        {
            if (prop.Value.ValueKind != JsonValueKind.String)
            {
                throw new InvalidDataException($"Image config field '{name}.{prop.Name}' must be a string, found {prop.Value.ValueKind}.");
            }

            map[prop.Name] = prop.Value.GetString()!;
        }

        return map;
    }

    private static DateTimeOffset? ParseTime(string? text) =>
        DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t) ? t : null;
}
