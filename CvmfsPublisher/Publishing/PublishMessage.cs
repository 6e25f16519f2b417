using System.Globalization;

namespace CvmfsImages.Publisher.Publishing;

/// <summary>
/// The tag description of <c>cvmfs_server publish -m</c>. cvmfs_server 2.11 pastes it unquoted into a command line
/// that <c>sh -c</c> runs (<c>cvmfs_server_publish.sh</c>: <c>sync_command="$sync_command -J $tag_description"</c>),
/// so a <c>(</c> is a shell syntax error ("Synchronization failed", the transaction left open) and a <c>;</c>,
/// <c>$</c> or backquote would run or expand something. A message is therefore built only from an alphabet the shell
/// takes literally (letters, digits, space, <c>. , : / @ + = _ -</c>), and no word of it starts with <c>-</c>
/// (the words after <c>-J</c> reach <c>cvmfs_swissknife</c> as arguments of their own). Nothing from outside (a
/// reference, a tag, an error text) goes into one.
/// </summary>
internal static class PublishMessage
{
    /// <summary>The characters a message may hold besides ASCII letters and digits.</summary>
    public const string Punctuation = " .,:/@+=_-";

    /// <summary>Whether <paramref name="message"/> is non-empty, in the alphabet, and has no word starting with <c>-</c>.</summary>
    public static bool IsSafe(string? message) => Problem(message) is null;

    /// <summary>Returns <paramref name="message"/>, or throws <see cref="ArgumentException"/> naming what is wrong with it.</summary>
    public static string Require(string? message)
    {
        var problem = Problem(message);
        return problem is null
            ? message!
            : throw new ArgumentException($"the publish message '{message}' {problem} (cvmfs_server 2.11 passes it through sh unquoted)", nameof(message));
    }

    /// <summary>"1 image", "2 images": a count with its noun, never "image(s)".</summary>
    public static string Count(int count, string singular, string plural) =>
        string.Create(CultureInfo.InvariantCulture, $"{count} {(count == 1 ? singular : plural)}");

    private static string? Problem(string? message)
    {
        if (string.IsNullOrEmpty(message))
        {
            return "is empty";
        }

        for (var i = 0; i < message.Length; i++)
        {
            var c = message[i];
            if (!char.IsAsciiLetterOrDigit(c) && !Punctuation.Contains(c, StringComparison.Ordinal))
            {
                return string.Create(CultureInfo.InvariantCulture, $"holds the character U+{(int)c:X4} at {i}; only letters, digits, space and . , : / @ + = _ - are allowed");
            }

            if (c == '-' && (i == 0 || message[i - 1] == ' '))
            {
                return string.Create(CultureInfo.InvariantCulture, $"has a word starting with '-' at {i}");
            }
        }

        return null;
    }
}
