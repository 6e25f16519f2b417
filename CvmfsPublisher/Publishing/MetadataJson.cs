using System.Text.Json;
using System.Text.Json.Serialization;

namespace CvmfsImages.Publisher.Publishing;

/// <summary>Reads and writes <see cref="ImageMetadata"/> (camelCase, indented, nulls left out), AOT-safe.</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    WriteIndented = true,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(ImageMetadata))]
internal sealed partial class MetadataJson : JsonSerializerContext
{
    public static byte[] Serialize(ImageMetadata metadata) => JsonSerializer.SerializeToUtf8Bytes(metadata, Default.ImageMetadata);

    /// <summary>Parses a metadata file; <see cref="InvalidDataException"/> naming the path when it is not one we can use.</summary>
    public static ImageMetadata Parse(ReadOnlySpan<byte> json, string path)
    {
        ImageMetadata? metadata;
        try
        {
            metadata = JsonSerializer.Deserialize(json, Default.ImageMetadata);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"'{path}' is not image metadata: {e.Message}", e);
        }

        if (metadata is null)
        {
            throw new InvalidDataException($"'{path}' is not image metadata: it is null");
        }

        if (metadata.SchemaVersion != 1)
        {
            throw new InvalidDataException($"'{path}' has schemaVersion {metadata.SchemaVersion}; this publisher knows 1");
        }

        if (!RepositoryLayout.IsConfigDigest(metadata.ConfigDigest))
        {
            throw new InvalidDataException($"'{path}' names the config digest '{RepositoryLayout.Printable(metadata.ConfigDigest ?? "")}'");
        }

        return metadata;
    }
}

/// <summary>Journal entries: one compact JSON object per line (the journal is read line by line).</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    WriteIndented = false,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(JournalEntry))]
internal sealed partial class JournalJson : JsonSerializerContext;
