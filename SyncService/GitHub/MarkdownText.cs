using System.Text;

namespace CvmfsImages.Sync.GitHub;

/// <summary>
/// Makes untrusted text (list lines, registry messages) inert inside a GitHub comment: no Markdown, no HTML, no
/// <c>@mention</c> or <c>#123</c> link, no table break, no line break, bounded length.
/// </summary>
internal static class MarkdownText
{
    /// <summary>Escapes <paramref name="text"/> for a table cell or a line of prose.</summary>
    public static string Escape(string? text, int maxLength = 300)
    {
        if (string.IsNullOrEmpty(text))
        {
            return string.Empty;
        }

        var sb = new StringBuilder(Math.Min(text.Length, maxLength) + 16);
        var count = 0;
        foreach (var c in text)
        {
            if (count++ >= maxLength)
            {
                sb.Append('…');
                break;
            }

            switch (c)
            {
                case '<':
                    sb.Append("&lt;");
                    break;
                case '>':
                    sb.Append("&gt;");
                    break;
                case '&':
                    sb.Append("&amp;");
                    break;
                case '|':
                    sb.Append("&#124;");
                    break;
                case '@':
                    // "@org/team" must not notify anyone: the HTML entity shows an '@' that GitHub does not link.
                    sb.Append("&#64;");
                    break;
                case '#':
                    sb.Append("&#35;");
                    break;
                case '\\' or '`' or '*' or '_' or '[' or ']' or '(' or ')' or '~' or '!' or '{' or '}' or '+' or '-' or '.' or ':' or '"' or '\'' or '=':
                    // '.', ':', '-', '=' are escaped too: they start lists, autolinks (http:) and headings.
                    sb.Append('\\').Append(c);
                    break;
                default:
                    sb.Append(IsInvisible(c) ? ' ' : c);
                    break;
            }
        }

        return sb.ToString();
    }

    /// <summary>Text for an inline code span: backticks cannot close it, pipes cannot break a table, one line.</summary>
    public static string Code(string? text, int maxLength = 300)
    {
        if (string.IsNullOrEmpty(text))
        {
            return "` `";
        }

        var clean = new StringBuilder();
        foreach (var c in text.Length > maxLength ? text[..maxLength] + "…" : text)
        {
            // Inside a code span nothing is interpreted except '`'; '|' still splits a GFM table row.
            clean.Append(c switch
            {
                '`' => '\'',
                '|' => '¦',
                _ when IsInvisible(c) => ' ',
                _ => c,
            });
        }

        return "`" + clean + "`";
    }

    /// <summary>Control and format characters (bidi overrides, zero-width): they could hide or reorder what a comment shows.</summary>
    private static bool IsInvisible(char c) =>
        char.IsControl(c) || char.GetUnicodeCategory(c) == System.Globalization.UnicodeCategory.Format;
}
