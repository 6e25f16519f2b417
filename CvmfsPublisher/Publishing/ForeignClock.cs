using System.Globalization;
using System.Text.Json;

namespace CvmfsImages.Publisher.Publishing;

/// <summary>
/// Since when this publisher has seen each foreign image (a directory with no metadata of ours) unreferenced:
/// <c>.images/.foreign.json</c>, <c>{"schemaVersion": 1, "unreferencedSince": {"&lt;image key&gt;": "&lt;ISO 8601&gt;"}}</c>.
/// It is in the repository (written in the transaction that finds the image unreferenced), so the grace period of
/// a foreign image survives restarts as an image's own <see cref="ImageMetadata.UnreferencedSince"/> does. The name
/// starts with a dot: OSG's <c>cleanup.py</c> globs <c>.images/*/*</c>, which never matches it.
/// </summary>
internal sealed class ForeignClock
{
    /// <summary>The file, relative to the repository root.</summary>
    public const string FileName = RepositoryLayout.ImagesDirectory + "/.foreign.json";

    private const int MaxBytes = 16 << 20;

    public Dictionary<string, DateTimeOffset> Since { get; } = new(StringComparer.Ordinal);

    public static ForeignClock Parse(ReadOnlySpan<byte> json, string path)
    {
        if (json.Length > MaxBytes)
        {
            throw new InvalidDataException($"'{path}' is larger than {MaxBytes} bytes");
        }

        var clock = new ForeignClock();
        try
        {
            using var document = JsonDocument.Parse(json.ToArray(), new JsonDocumentOptions { MaxDepth = 8 });
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("schemaVersion", out var version) ||
                version.ValueKind != JsonValueKind.Number || version.GetInt32() != 1 ||
                !root.TryGetProperty("unreferencedSince", out var since) || since.ValueKind != JsonValueKind.Object)
            {
                throw new InvalidDataException($"'{path}' is not this publisher's foreign-image clock (schemaVersion 1 with unreferencedSince)");
            }

            foreach (var property in since.EnumerateObject())
            {
                if (!RepositoryLayout.IsImageKey(property.Name) || property.Value.ValueKind != JsonValueKind.String ||
                    !DateTimeOffset.TryParse(property.Value.GetString(), CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out var time))
                {
                    throw new InvalidDataException($"'{path}': '{RepositoryLayout.Printable(property.Name)}' is not an image key with a time");
                }

                clock.Since[property.Name] = time;
            }
        }
        catch (Exception e) when (e is JsonException or FormatException or InvalidOperationException)
        {
            throw new InvalidDataException($"'{path}' is not JSON this publisher wrote: {e.Message}", e);
        }

        return clock;
    }

    public byte[] Serialize()
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            writer.WriteStartObject();
            writer.WriteNumber("schemaVersion", 1);
            writer.WriteStartObject("unreferencedSince");
            foreach (var (key, time) in Since.OrderBy(p => p.Key, StringComparer.Ordinal))
            {
                writer.WriteString(key, time.ToUniversalTime().ToString("o", CultureInfo.InvariantCulture));
            }

            writer.WriteEndObject();
            writer.WriteEndObject();
        }

        return buffer.ToArray();
    }
}
