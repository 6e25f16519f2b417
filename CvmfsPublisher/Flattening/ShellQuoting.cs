using System.Text;

namespace CvmfsImages.Publisher.Flattening;

/// <summary>Quoting for the POSIX shell scripts written into <c>/.singularity.d</c>.</summary>
internal static class ShellQuoting
{
    /// <summary><c>'text'</c>, with each <c>'</c> written as <c>'\''</c>: nothing inside is interpreted.</summary>
    public static string Single(string text) => "'" + text.Replace("'", "'\\''", StringComparison.Ordinal) + "'";

    /// <summary>
    /// The body of a double-quoted word that is also safe inside <c>"${NAME:-...}"</c>: <c>\ " $ `</c> and <c>}</c>
    /// are backslash-escaped, so the shell yields exactly <paramref name="text"/> (checked with dash, bash and busybox).
    /// </summary>
    public static string DoubleBody(string text)
    {
        var sb = new StringBuilder(text.Length + 8);
        foreach (var c in text)
        {
            if (c is '\\' or '"' or '$' or '`' or '}')
            {
                sb.Append('\\');
            }

            sb.Append(c);
        }

        return sb.ToString();
    }

    /// <summary>Each argument as a double-quoted word, space-separated: what <c>eval "set -- $X"</c> turns back into the list.</summary>
    public static string Words(IEnumerable<string> args) => string.Join(' ', args.Select(a => "\"" + DoubleBody(a) + "\""));

    /// <summary>True for a name the shell accepts in <c>export NAME=...</c>.</summary>
    public static bool IsName(string name) =>
        name.Length > 0 && (char.IsAsciiLetter(name[0]) || name[0] == '_') && name.All(c => char.IsAsciiLetterOrDigit(c) || c == '_');
}
