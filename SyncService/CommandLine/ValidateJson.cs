using System.Text;
using System.Text.Json;
using CvmfsImages.Sync.Lists;

namespace CvmfsImages.Sync.CommandLine;

/// <summary>
/// <c>validate --json</c>: one JSON document on stdout, schema version <see cref="SchemaVersion"/> (documented in
/// SyncService/README.md; fields are only ever added, and a rename or removal raises the version). Every string is
/// escaped by <see cref="Utf8JsonWriter"/>'s default encoder: quotes, backslashes, control characters and everything
/// outside ASCII become <c>\uXXXX</c>, so a hostile line comes out as valid JSON, and the document is ASCII.
/// </summary>
internal static class ValidateJson
{
    public const int SchemaVersion = 1;

    public static void Write(TextWriter output, ValidateReport report)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(report);
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            json.WriteStartObject();
            json.WriteNumber("schemaVersion", SchemaVersion);
            json.WriteString("file", report.File);
            json.WriteString("mode", report.Online ? "online" : "offline");
            json.WriteBoolean("valid", report.ExitCode == ExitCodes.Success);
            json.WriteNumber("exitCode", report.ExitCode);
            if (report.Error is { } error)
            {
                json.WriteString("error", error);
            }
            else
            {
                json.WriteNull("error");
            }

            json.WriteStartObject("summary");
            json.WriteNumber("lines", report.Lines);
            json.WriteNumber("images", report.Images);
            json.WriteNumber("problems", report.Problems.Count);
            json.WriteNumber("invalid", report.Invalid);
            json.WriteNumber("unresolvable", report.Unresolvable);
            json.WriteEndObject();

            json.WriteStartArray("problems");
            foreach (var problem in report.Problems)
            {
                json.WriteStartObject();
                json.WriteNumber("line", problem.LineNumber);
                json.WriteString("text", problem.LineText);
                json.WriteString("kind", KindName(problem.Kind));
                json.WriteString("message", problem.Message);
                if (problem.OtherLineNumber is { } other)
                {
                    json.WriteNumber("otherLine", other);
                }
                else
                {
                    json.WriteNull("otherLine");
                }

                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteEndObject();
        }

        output.WriteLine(Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length));
    }

    /// <summary>The schema's name of a kind (stable; a new kind is an addition, not a version change).</summary>
    public static string KindName(ListProblemKind kind) => kind switch
    {
        ListProblemKind.Syntax => "syntax",
        ListProblemKind.LineTooLong => "line-too-long",
        ListProblemKind.TooManyLines => "too-many-lines",
        ListProblemKind.NotUtf8 => "not-utf8",
        ListProblemKind.Duplicate => "duplicate",
        ListProblemKind.PathCollision => "path-collision",
        ListProblemKind.Unresolvable => "unresolvable",
        ListProblemKind.NoMatchingTag => "no-matching-tag",
        ListProblemKind.RegistryUnavailable => "registry-unavailable",
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "no schema name"),
    };
}
