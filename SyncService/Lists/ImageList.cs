using CvmfsImages.Registry;
using CvmfsImages.Registry.Names;

namespace CvmfsImages.Sync.Lists;

/// <summary>
/// A parsed image list (format in DESIGN.md, compatible with OSG's <c>docker_images.txt</c>): one reference per line,
/// <c>#</c> starts a comment, blank lines are ignored; Docker Hub defaults (<c>library/</c>, <c>latest</c>), any
/// registry, digest pins and tag globs. Parsing is syntax only and never throws on content: every bad line becomes a
/// <see cref="ListProblem"/> with its line number, and the good lines are still entries.
/// </summary>
public sealed record ImageList(string Source, IReadOnlyList<ListEntry> Entries, IReadOnlyList<ListProblem> Problems)
{
    /// <summary>The longest line accepted (a reference is at most 1,024 characters; comments may make a line longer).</summary>
    public const int MaxLineLength = 4096;

    /// <summary>Parses <paramref name="text"/>; <paramref name="source"/> names it in messages.</summary>
    /// <param name="text">The list's text.</param>
    /// <param name="source">Where it came from (a path, a GitHub location).</param>
    /// <param name="maxLines">Lines after this many are not read; a problem says so.</param>
    public static ImageList Parse(string text, string source, int maxLines = 100_000)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(source);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxLines);

        var entries = new List<ListEntry>();
        var problems = new List<ListProblem>();
        var lineNumber = 0;
        foreach (var rawLine in text.AsSpan().EnumerateLines())
        {
            lineNumber++;
            if (lineNumber > maxLines)
            {
                problems.Add(new ListProblem(lineNumber, $"the list has more than {maxLines} lines; line {lineNumber} and after are ignored") { Kind = ListProblemKind.TooManyLines });
                break;
            }

            if (rawLine.Length > MaxLineLength)
            {
                problems.Add(new ListProblem(lineNumber, $"line is longer than {MaxLineLength} characters") { Kind = ListProblemKind.LineTooLong });
                continue;
            }

            var line = rawLine;
            var hash = line.IndexOf('#');
            if (hash >= 0)
            {
                line = line[..hash];
            }

            line = line.Trim();
            if (line.IsEmpty)
            {
                continue;
            }

            var lineText = line.ToString();
            if (ParseLine(lineNumber, lineText, out var problem) is { } entry)
            {
                entries.Add(entry);
            }
            else
            {
                problems.Add(problem!);
            }
        }

        return new ImageList(source, entries, problems);
    }

    /// <summary>Parses one line's text (comment removed, trimmed); null and a problem when it is not a reference.</summary>
    internal static ListEntry? ParseLine(int lineNumber, string text, out ListProblem? problem)
    {
        problem = null;
        foreach (var c in text)
        {
            if (char.IsWhiteSpace(c))
            {
                problem = new ListProblem(lineNumber, $"'{Shorten(text)}' has whitespace inside: one image per line (a comment starts with '#')") { Kind = ListProblemKind.Syntax };
                return null;
            }
        }

        // A glob lives in the tag: after the last ':' that follows the last '/'.
        var at = text.IndexOf('@', StringComparison.Ordinal);
        var name = at >= 0 ? text[..at] : text;
        var colon = name.LastIndexOf(':');
        var tag = colon > name.LastIndexOf('/') ? name[(colon + 1)..] : null;
        if (tag is not null && TagGlob.IsGlob(tag))
        {
            if (at >= 0)
            {
                problem = new ListProblem(lineNumber, $"'{Shorten(text)}': a tag glob cannot be combined with a digest pin") { Kind = ListProblemKind.Syntax };
                return null;
            }

            if (!TagPatterns.Validate(tag, out var globReason))
            {
                problem = new ListProblem(lineNumber, $"'{Shorten(text)}': {globReason}") { Kind = ListProblemKind.Syntax };
                return null;
            }

            if (!RepositoryName.TryParse(name[..colon], out var repository, out var nameReason))
            {
                problem = new ListProblem(lineNumber, $"'{Shorten(text)}': {nameReason}") { Kind = ListProblemKind.Syntax };
                return null;
            }

            var placeholder = ImageReference.ForTag(repository, ImageReference.DefaultTag);
            return new ListEntry(lineNumber, text, placeholder, IsGlob: true) { TagPattern = tag };
        }

        if (!ImageReference.TryParse(text, out var reference, out var reason))
        {
            problem = new ListProblem(lineNumber, $"'{Shorten(text)}' is not an image reference: {reason}") { Kind = ListProblemKind.Syntax };
            return null;
        }

        return new ListEntry(lineNumber, text, reference, IsGlob: false);
    }

    private static string Shorten(string text) => text.Length <= 100 ? text : text[..100] + "...";
}
