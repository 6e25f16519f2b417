using System.Text;
using System.Text.Json;
using CvmfsImages.Runtime.Native;

namespace CvmfsImages.Runtime.Trace;

/// <summary>
/// What the sync service recorded about an image it published: the JSON file beside the image directory
/// (<c>.images/ab/cdef...json</c> beside <c>.images/ab/cdef...</c>, schema version 1; the runtime shares no code with
/// the publisher, so the two fields it needs are read here). Only a file the caller cannot have written counts: a
/// regular file, at most 64 KiB, owned by someone else and writable by nobody but its owner.
/// </summary>
internal sealed record PublishedImage(IReadOnlyList<string> Sources, string ManifestDigest)
{
    private const int MaxBytes = 64 * 1024;
    private static readonly System.Buffers.SearchValues<char> LowerHex = System.Buffers.SearchValues.Create("0123456789abcdef");

    /// <summary>The metadata beside <paramref name="imageDirectory"/>, or null when there is none that counts.</summary>
    public static PublishedImage? Find(string imageDirectory, uint callerUid)
    {
        ArgumentNullException.ThrowIfNull(imageDirectory);
        var path = imageDirectory.TrimEnd('/') + ".json";
        try
        {
            var status = FileStatus.Of(path);
            if (status.Kind != FileKind.Regular || status.Uid == callerUid || status.IsWritableByOthers)
            {
                return null;
            }

            using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read);
            var length = RandomAccess.GetLength(handle);
            if (length > MaxBytes)
            {
                return null;
            }

            var buffer = new byte[length];
            var total = 0;
            int n;
            while (total < buffer.Length && (n = RandomAccess.Read(handle, buffer.AsSpan(total), total)) > 0)
            {
                total += n;
            }

            return Parse(buffer.AsSpan(0, total));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>The sources and manifest digest of a schema-1 metadata file; null when it is not one.</summary>
    public static PublishedImage? Parse(ReadOnlySpan<byte> json)
    {
        try
        {
            var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = 8 });
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return null;
            }

            var schema = 0;
            string? digest = null;
            var sources = new List<string>();
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var name = reader.GetString();
                reader.Read();
                switch (name)
                {
                    case "schemaVersion" when reader.TokenType == JsonTokenType.Number:
                        schema = reader.TryGetInt32(out var v) ? v : -1;
                        break;
                    case "manifestDigest" when reader.TokenType == JsonTokenType.String:
                        digest = reader.GetString();
                        break;
                    case "sources" when reader.TokenType == JsonTokenType.StartArray:
                        while (reader.Read() && reader.TokenType == JsonTokenType.String)
                        {
                            sources.Add(reader.GetString()!);
                        }

                        break;
                    default:
                        reader.Skip();
                        break;
                }
            }

            return schema == 1 && digest is not null && IsSha256(digest) ? new PublishedImage(sources, digest) : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static bool IsSha256(string digest) =>
        digest.Length == 71 && digest.StartsWith("sha256:", StringComparison.Ordinal) && digest.AsSpan(7).IndexOfAnyExcept(LowerHex) < 0;
}
