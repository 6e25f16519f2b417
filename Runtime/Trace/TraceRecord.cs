using System.Globalization;
using System.Text;

namespace CvmfsImages.Runtime.Trace;

/// <summary>
/// The text of one trace record: <c>key=value</c> fields after a fixed event word, every value quoted and escaped, so
/// that a hostile argument, path or variable can neither end the record, start a second one nor forge a field:
/// <c>"</c> and <c>\</c> are backslash-escaped, control characters (C0, DEL, C1) become <c>\xHH</c> or <c>\uHHHH</c>,
/// and each value is cut at a fixed length (cut fields are listed in <c>truncated</c>). Nothing here is a format
/// string; the field names are constants or checked variable names.
/// </summary>
internal static class TraceRecord
{
    public const string Event = "container-start";
    public const int MaxCommandChars = 2048;
    public const int MaxPathChars = 1024;
    public const int MaxValueChars = 256;
    public const int MaxVariables = 32;

    /// <summary>The record's text (without the syslog header).</summary>
    public static string Format(TraceInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var text = new StringBuilder(Event);
        var truncated = new List<string>();
        void Field(string key, string value, int max)
        {
            text.Append(' ').Append(key).Append('=');
            if (Quote(text, value, max))
            {
                truncated.Add(key);
            }
        }

        Field("time", Timestamp(input.Time.UtcDateTime), MaxValueChars);
        Field("uid", input.Uid.ToString(CultureInfo.InvariantCulture), MaxValueChars);
        Field("user", input.UserName, MaxValueChars);
        Field("pid", input.Pid.ToString(CultureInfo.InvariantCulture), MaxValueChars);
        Field("ppid", input.ParentPid.ToString(CultureInfo.InvariantCulture), MaxValueChars);
        Field("action", input.Action, MaxValueChars);
        Field("image", input.Image, MaxPathChars);
        Field("image_resolved", input.ResolvedImage, MaxPathChars);
        if (input.Published is { } published)
        {
            Field("image_source", string.Join(' ', published.Sources), MaxPathChars);
            Field("image_digest", published.ManifestDigest, MaxValueChars);
        }

        Field("cwd", input.WorkingDirectory, MaxPathChars);
        Field("command", Command(input.Command), MaxCommandChars);
        var count = 0;
        foreach (var (name, value) in Selected(input.Environment, input.TraceEnvironment))
        {
            if (++count > MaxVariables)
            {
                truncated.Add("env");
                break;
            }

            Field("env." + name, value, MaxValueChars);
        }

        if (truncated.Count > 0)
        {
            Field("truncated", string.Join(',', truncated), MaxValueChars);
        }

        return text.ToString();
    }

    /// <summary>
    /// RFC 3339 UTC with milliseconds, written digit by digit: DateTime's custom formats would pull the formatting
    /// machinery into every job's start (measured: page faults, bench/README.md).
    /// </summary>
    public static string Timestamp(DateTime utc)
    {
        var text = new StringBuilder(24);
        Digits(text, utc.Year, 4).Append('-');
        Digits(text, utc.Month, 2).Append('-');
        Digits(text, utc.Day, 2).Append('T');
        Digits(text, utc.Hour, 2).Append(':');
        Digits(text, utc.Minute, 2).Append(':');
        Digits(text, utc.Second, 2).Append('.');
        return Digits(text, utc.Millisecond, 3).Append('Z').ToString();
    }

    /// <summary>Appends <paramref name="value"/> (non-negative) zero-padded to <paramref name="width"/> digits.</summary>
    public static StringBuilder Digits(StringBuilder text, int value, int width)
    {
        ArgumentNullException.ThrowIfNull(text);
        Span<char> digits = stackalloc char[10];
        var n = 0;
        do
        {
            digits[n++] = (char)('0' + (value % 10));
            value /= 10;
        }
        while (value > 0);

        for (var i = n; i < width; i++)
        {
            text.Append('0');
        }

        for (var i = n - 1; i >= 0; i--)
        {
            text.Append(digits[i]);
        }

        return text;
    }

    /// <summary>The argv as a shell would read it back: words with anything unusual single-quoted.</summary>
    public static string Command(IReadOnlyList<string> argv)
    {
        ArgumentNullException.ThrowIfNull(argv);
        var text = new StringBuilder();
        foreach (var word in argv)
        {
            if (text.Length > 0)
            {
                text.Append(' ');
            }

            if (word.Length > 0 && word.All(c => char.IsAsciiLetterOrDigit(c) || "_./:=@%+,-".Contains(c, StringComparison.Ordinal)))
            {
                text.Append(word);
            }
            else
            {
                text.Append('\'').Append(word.Replace("'", "'\\''", StringComparison.Ordinal)).Append('\'');
            }

            if (text.Length > MaxCommandChars)
            {
                break;
            }
        }

        return text.ToString();
    }

    /// <summary>The variables of <paramref name="environment"/> named by the patterns (a name, or a prefix and <c>*</c>), sorted.</summary>
    public static IEnumerable<KeyValuePair<string, string>> Selected(IReadOnlyDictionary<string, string> environment, IReadOnlyList<string> patterns)
    {
        ArgumentNullException.ThrowIfNull(environment);
        ArgumentNullException.ThrowIfNull(patterns);
        return environment
            .Where(kv => Environment.EnvironmentBuilder.IsValidName(kv.Key) && patterns.Any(p => Matches(p, kv.Key)))
            .OrderBy(kv => kv.Key, StringComparer.Ordinal);
    }

    private static bool Matches(string pattern, string name) =>
        pattern.EndsWith('*') ? name.StartsWith(pattern[..^1], StringComparison.Ordinal) : name == pattern;

    /// <summary>Appends <paramref name="value"/> quoted and escaped, cut at <paramref name="max"/> characters; true when cut.</summary>
    private static bool Quote(StringBuilder text, string value, int max)
    {
        var cut = value.Length > max;
        text.Append('"');
        foreach (var c in cut ? value.AsSpan(0, max) : value.AsSpan())
        {
            switch (c)
            {
                case '"' or '\\':
                    text.Append('\\').Append(c);
                    break;
                case < ' ' or '\x7f':
                    text.Append("\\x").Append(((int)c).ToString("x2", CultureInfo.InvariantCulture));
                    break;
                case >= '\x80' and <= '\x9f' or '\u2028' or '\u2029':
                    text.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    break;
                default:
                    text.Append(c);
                    break;
            }
        }

        text.Append(cut ? "...\"" : "\"");
        return cut;
    }
}
