namespace CvmfsImages.Registry;

/// <summary>
/// Shell-style tag patterns for wildcard list entries: <c>*</c> any run (also empty), <c>?</c> one character,
/// <c>[abc]</c>, <c>[a-z]</c> and <c>[!a-z]</c> (or <c>[^a-z]</c>) a character class. Matching is ordinal and
/// covers the whole tag.
/// </summary>
public static class TagGlob
{
    /// <summary>True when the pattern holds a wildcard (<c>*</c>, <c>?</c> or <c>[</c>).</summary>
    public static bool IsGlob(string tagPattern)
    {
        ArgumentNullException.ThrowIfNull(tagPattern);
        return tagPattern.AsSpan().IndexOfAny('*', '?', '[') >= 0;
    }

    /// <summary>True when <paramref name="tag"/> matches <paramref name="pattern"/> completely.</summary>
    /// <exception cref="FormatException">The pattern has an unclosed or empty <c>[</c> class.</exception>
    public static bool IsMatch(string pattern, string tag)
    {
        ArgumentNullException.ThrowIfNull(pattern);
        ArgumentNullException.ThrowIfNull(tag);
        Validate(pattern);

        // Iterative matcher with single-star backtracking: linear in practice, never exponential.
        int p = 0, t = 0, starP = -1, starT = 0;
        while (t < tag.Length)
        {
            if (p < pattern.Length && pattern[p] == '*')
            {
                starP = p++;
                starT = t;
                continue;
            }

            if (p < pattern.Length && MatchOne(pattern, ref p, tag[t]))
            {
                t++;
                continue;
            }

            if (starP < 0)
            {
                return false;
            }

            p = starP + 1;
            t = ++starT;
        }

        while (p < pattern.Length && pattern[p] == '*')
        {
            p++;
        }

        return p == pattern.Length;
    }

    /// <summary>Checks the pattern's classes; throws a <see cref="FormatException"/> quoting it when one is malformed.</summary>
    public static void Validate(string pattern)
    {
        ArgumentNullException.ThrowIfNull(pattern);
        for (var i = 0; i < pattern.Length; i++)
        {
            if (pattern[i] != '[')
            {
                continue;
            }

            var end = ClassEnd(pattern, i);
            if (end < 0)
            {
                throw new FormatException($"invalid tag pattern '{pattern}': '[' at position {i + 1} is not closed by ']' (or the class is empty)");
            }

            i = end;
        }
    }

    // Matches one pattern element at p against c; advances p past the element on success.
    private static bool MatchOne(string pattern, ref int p, char c)
    {
        switch (pattern[p])
        {
            case '?':
                p++;
                return true;
            case '[':
                var end = ClassEnd(pattern, p);
                var negate = pattern[p + 1] is '!' or '^';
                var matched = false;
                for (var i = p + (negate ? 2 : 1); i < end; i++)
                {
                    if (i + 2 < end && pattern[i + 1] == '-')
                    {
                        matched |= c >= pattern[i] && c <= pattern[i + 2];
                        i += 2;
                    }
                    else
                    {
                        matched |= c == pattern[i];
                    }
                }

                if (matched == negate)
                {
                    return false;
                }

                p = end + 1;
                return true;
            default:
                if (pattern[p] != c)
                {
                    return false;
                }

                p++;
                return true;
        }
    }

    // Index of the ']' closing the class that starts at open, or -1. A ']' right after '[' or '[!' is a member.
    private static int ClassEnd(string pattern, int open)
    {
        var i = open + 1;
        if (i < pattern.Length && pattern[i] is '!' or '^')
        {
            i++;
        }

        var first = i;
        for (; i < pattern.Length; i++)
        {
            if (pattern[i] == ']' && i > first)
            {
                return i;
            }
        }

        return -1;
    }
}
