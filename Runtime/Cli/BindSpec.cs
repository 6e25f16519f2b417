using System.Text;

namespace CvmfsImages.Runtime.Cli;

/// <summary>
/// One bind request, <c>src[:dst[:ro|rw]]</c>, from <c>-B</c>, the bind environment variables or a config
/// <c>bind path</c> line. <paramref name="Origin"/> names where it came from, for messages.
/// </summary>
internal sealed record BindSpec(string Source, string Destination, bool ReadOnly, string Origin)
{
    /// <summary>
    /// Parses a comma-separated list of specs. <c>\,</c> and <c>\:</c> stand for a literal comma and colon; any other
    /// backslash is kept. Empty items (a trailing comma) are ignored.
    /// </summary>
    /// <exception cref="RuntimeFailureException">a malformed spec, naming it and its origin.</exception>
    public static IReadOnlyList<BindSpec> ParseList(string text, string origin, bool allowOptions = true, bool requireAbsoluteSource = false)
    {
        ArgumentNullException.ThrowIfNull(text);
        var result = new List<BindSpec>();
        foreach (var item in SplitUnescaped(text, ','))
        {
            if (item.Escaped.Length == 0)
            {
                continue;
            }

            var spec = ParseOne(item, origin, allowOptions);
            if (requireAbsoluteSource && !spec.Source.StartsWith('/'))
            {
                throw new RuntimeFailureException($"{origin}: invalid bind spec '{item.Raw}': the source '{spec.Source}' is not an absolute path") { Subject = item.Raw };
            }

            result.Add(spec);
        }

        return result;
    }

    private static BindSpec ParseOne((string Escaped, string Raw) item, string origin, bool allowOptions)
    {
        var parts = SplitUnescaped(item.Raw, ':').Select(p => p.Escaped).ToList();
        string Fail(string why) => throw new RuntimeFailureException($"{origin}: invalid bind spec '{item.Raw}': {why}")
        {
            Subject = item.Raw,
        };

        if (parts.Count > 3)
        {
            Fail("too many ':' (use src[:dst[:ro|rw]], and \\: for a colon in a path)");
        }

        var source = parts[0];
        if (source.Length == 0)
        {
            Fail("the source path is empty");
        }

        var destination = parts.Count >= 2 && parts[1].Length > 0 ? parts[1] : source;
        if (parts.Count == 1 && !source.StartsWith('/'))
        {
            // "-B data" binds ./data at the same path: the caller makes both absolute against the current directory.
            return new BindSpec(source, source, false, origin);
        }
        var readOnly = false;
        if (parts.Count == 3)
        {
            if (!allowOptions)
            {
                Fail("options are not allowed here");
            }

            readOnly = parts[2] switch
            {
                "ro" => true,
                "rw" => false,
                _ => throw new RuntimeFailureException($"{origin}: invalid bind spec '{item.Raw}': unknown option '{parts[2]}' (ro or rw)")
                {
                    Subject = item.Raw,
                },
            };
        }

        if (!destination.StartsWith('/'))
        {
            Fail($"the destination '{destination}' is not an absolute path");
        }

        if (source.Contains('\0', StringComparison.Ordinal) || destination.Contains('\0', StringComparison.Ordinal))
        {
            Fail("a path contains a NUL character");
        }

        return new BindSpec(source, destination, readOnly, origin);
    }

    /// <summary>Splits on <paramref name="separator"/> not preceded by a backslash; yields (unescaped, raw) pieces.</summary>
    private static List<(string Escaped, string Raw)> SplitUnescaped(string text, char separator)
    {
        var pieces = new List<(string, string)>();
        var escaped = new StringBuilder();
        var raw = new StringBuilder();
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c == '\\' && i + 1 < text.Length && text[i + 1] is ',' or ':')
            {
                // Keep the escape in the raw text so an inner split (':' inside an item) still sees it.
                raw.Append(c).Append(text[i + 1]);
                escaped.Append(text[i + 1]);
                i++;
                continue;
            }

            if (c == separator)
            {
                pieces.Add((escaped.ToString(), raw.ToString()));
                escaped.Clear();
                raw.Clear();
                continue;
            }

            escaped.Append(c);
            raw.Append(c);
        }

        pieces.Add((escaped.ToString(), raw.ToString()));
        return pieces;
    }
}
