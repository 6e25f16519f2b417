namespace CvmfsImages.Sync.GitHub;

/// <summary>
/// Which lines of a file's new version a change adds or modifies (1-based line numbers in the new version): from the
/// unified-diff <c>patch</c> GitHub gives per file, or, when GitHub omits it (large diffs), by comparing the old and
/// new text as multisets of lines.
/// </summary>
internal static class ChangedLines
{
    /// <summary>The new-version line numbers of the <c>+</c> lines in a unified diff (hunks only; headers skipped).</summary>
    /// <exception cref="InvalidDataException">A hunk header is malformed.</exception>
    public static IReadOnlySet<int> FromPatch(string patch)
    {
        ArgumentNullException.ThrowIfNull(patch);
        var added = new HashSet<int>();
        var newLine = 0;
        var inHunk = false;
        foreach (var line in patch.AsSpan().EnumerateLines())
        {
            if (line.StartsWith("@@"))
            {
                newLine = ParseHunkNewStart(line);
                inHunk = true;
                continue;
            }

            if (!inHunk || line.IsEmpty && newLine == 0)
            {
                continue;
            }

            if (line.StartsWith("\\"))
            {
                continue; // "\ No newline at end of file"
            }

            switch (line.IsEmpty ? ' ' : line[0])
            {
                case '+':
                    added.Add(newLine);
                    newLine++;
                    break;
                case '-':
                    break;
                default:
                    newLine++;
                    break;
            }
        }

        return added;
    }

    /// <summary>
    /// Lines of <paramref name="newText"/> that <paramref name="oldText"/> lacks, counting repeats (a second copy of an
    /// existing line is new). Moving a line is not a change.
    /// </summary>
    public static IReadOnlySet<int> FromTexts(string oldText, string newText)
    {
        ArgumentNullException.ThrowIfNull(oldText);
        ArgumentNullException.ThrowIfNull(newText);
        var old = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var line in oldText.AsSpan().EnumerateLines())
        {
            var key = line.TrimEnd().ToString();
            old[key] = old.GetValueOrDefault(key) + 1;
        }

        var added = new HashSet<int>();
        var number = 0;
        foreach (var line in newText.AsSpan().EnumerateLines())
        {
            number++;
            var key = line.TrimEnd().ToString();
            if (old.TryGetValue(key, out var left) && left > 0)
            {
                old[key] = left - 1;
            }
            else
            {
                added.Add(number);
            }
        }

        return added;
    }

    /// <summary>The text of the <c>+</c> lines of a patch (without the '+'), for mapping published lines back to PRs.</summary>
    public static IReadOnlyList<string> AddedText(string patch)
    {
        ArgumentNullException.ThrowIfNull(patch);
        var result = new List<string>();
        var inHunk = false;
        foreach (var line in patch.AsSpan().EnumerateLines())
        {
            if (line.StartsWith("@@"))
            {
                inHunk = true;
            }
            else if (inHunk && line.StartsWith("+"))
            {
                result.Add(line[1..].ToString());
            }
        }

        return result;
    }

    // "@@ -a,b +c,d @@ optional section"
    private static int ParseHunkNewStart(ReadOnlySpan<char> header)
    {
        var plus = header.IndexOf('+');
        if (plus < 0)
        {
            throw new InvalidDataException($"malformed hunk header '{header.ToString()}'");
        }

        var rest = header[(plus + 1)..];
        var end = rest.IndexOfAny(", ");
        var digits = end < 0 ? rest : rest[..end];
        if (!int.TryParse(digits, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var start) || start < 0)
        {
            throw new InvalidDataException($"malformed hunk header '{header.ToString()}'");
        }

        return start;
    }
}
