using System.Globalization;
using System.Text;
using System.Text.Json;

namespace CvmfsImages.Publisher.Publishing;

/// <summary>
/// OSG's garbage-collection clock, <c>&lt;root&gt;/.missing_links.json</c>, as its <c>cleanup.py</c> writes it
/// (opensciencegrid/cvmfs-singularity-sync 07b0da3, lines 19-25 and 68-136): <c>{"missing_links": {"&lt;absolute
/// image dir&gt;": &lt;unix time first seen unlinked&gt;}}</c>, written by <c>json.dump</c>. Entries keep their order;
/// an entry outside this repository's mount path, or one that names no image directory, is kept as it is (the
/// publisher never decides about what it does not understand). Hostile input: a file that is not this shape is
/// <see cref="InvalidDataException"/>, and the caller then leaves it untouched.
/// </summary>
internal sealed class OsgMissingLinks
{
    /// <summary>The file, relative to the repository root.</summary>
    public const string FileName = ".missing_links.json";

    private const int MaxBytes = 64 << 20;
    private readonly List<Entry> entries;

    private OsgMissingLinks(List<Entry> entries)
    {
        this.entries = entries;
    }

    /// <summary>The entries, in the file's order.</summary>
    public IReadOnlyList<Entry> Entries => entries;

    /// <summary>When OSG first saw the image <paramref name="key"/> unlinked, when the file says so.</summary>
    public DateTimeOffset? SinceOf(string key) =>
        entries.Where(e => e.Key == key).Select(e => (DateTimeOffset?)DateTimeOffset.FromUnixTimeSeconds(e.UnixTime)).Min();

    /// <summary>Parses the file's bytes; <paramref name="mountPath"/> decides which entries are this repository's images.</summary>
    public static OsgMissingLinks Parse(ReadOnlySpan<byte> json, string mountPath, string path)
    {
        if (json.Length > MaxBytes)
        {
            throw new InvalidDataException($"'{path}' is larger than {MaxBytes} bytes");
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json.ToArray(), new JsonDocumentOptions { MaxDepth = 8 });
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"'{path}' is not JSON: {e.Message}", e);
        }

        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object ||
                !document.RootElement.TryGetProperty("missing_links", out var links) || links.ValueKind != JsonValueKind.Object)
            {
                throw new InvalidDataException($"'{path}' is not OSG's missing-links file: expected {{\"missing_links\": {{\"<image dir>\": <unix time>}}}}");
            }

            var entries = new List<Entry>();
            foreach (var property in links.EnumerateObject())
            {
                if (property.Value.ValueKind != JsonValueKind.Number || !property.Value.TryGetDouble(out var seconds) ||
                    !double.IsFinite(seconds) || seconds < 0 || seconds > 253402300799)
                {
                    throw new InvalidDataException($"'{path}': the time of '{RepositoryLayout.Printable(property.Name)}' is not a unix time ({RepositoryLayout.Printable(property.Value.GetRawText())})");
                }

                entries.Add(new Entry(property.Name, (long)Math.Floor(seconds), KeyOf(property.Name, mountPath)));
            }

            return new OsgMissingLinks(entries);
        }
    }

    /// <summary>
    /// Drops the entries of images that are referenced or gone (<paramref name="keep"/> false); returns whether any
    /// went. Entries that name no image of this repository stay.
    /// </summary>
    public bool Drop(Func<string, bool> keep) => entries.RemoveAll(e => e.Key is { } key && !keep(key)) > 0;

    /// <summary>Adds an entry for the image <paramref name="key"/> unless it has one.</summary>
    public bool Add(string key, DateTimeOffset since, string mountPath)
    {
        if (entries.Any(e => e.Key == key))
        {
            return false;
        }

        entries.Add(new Entry(mountPath + "/" + RepositoryLayout.ImageDirectory(key), since.ToUnixTimeSeconds(), key));
        return true;
    }

    /// <summary>The file as Python's <c>json.dump</c> writes it (so <c>cleanup.py</c> and people read it as before).</summary>
    public byte[] Serialize()
    {
        var text = new StringBuilder("{\"missing_links\": {");
        for (var i = 0; i < entries.Count; i++)
        {
            text.Append(i == 0 ? string.Empty : ", ").Append(PythonString(entries[i].Directory)).Append(": ")
                .Append(entries[i].UnixTime.ToString(CultureInfo.InvariantCulture));
        }

        return Encoding.UTF8.GetBytes(text.Append("}}").ToString());
    }

    private static string? KeyOf(string directory, string mountPath)
    {
        var prefix = mountPath + "/";
        return directory.StartsWith(prefix, StringComparison.Ordinal) ? RepositoryLayout.KeyOfDirectory(directory[prefix.Length..].TrimEnd('/')) : null;
    }

    // json.dumps of a str with ensure_ascii=True. TestSupport's OsgRepository has its own copy on purpose: the tests
    // compare this writer's bytes with that one's, so they must not share the code.
    private static string PythonString(string value)
    {
        var text = new StringBuilder("\"");
        foreach (var c in value)
        {
            text.Append(c switch
            {
                '"' => "\\\"",
                '\\' => "\\\\",
                '\n' => "\\n",
                '\r' => "\\r",
                '\t' => "\\t",
                '\b' => "\\b",
                '\f' => "\\f",
                _ when c < 0x20 || c > 0x7e => string.Create(CultureInfo.InvariantCulture, $"\\u{(int)c:x4}"),
                _ => c.ToString(),
            });
        }

        return text.Append('"').ToString();
    }

    /// <summary>One entry: the directory as written, its time, and its image key when it is one of this repository's.</summary>
    internal sealed record Entry(string Directory, long UnixTime, string? Key);
}
