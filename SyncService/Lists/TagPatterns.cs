using CvmfsImages.Registry;

namespace CvmfsImages.Sync.Lists;

/// <summary>Syntax of tag globs in list lines: tag characters plus <c>*</c>, <c>?</c> and <c>[...]</c> classes.</summary>
internal static class TagPatterns
{
    /// <summary>Checks a glob's characters and brackets; <paramref name="reason"/> says what is wrong.</summary>
    public static bool Validate(string pattern, out string reason)
    {
        if (pattern.Length > 128)
        {
            reason = "tag glob is longer than 128 characters";
            return false;
        }

        var inClass = false;
        foreach (var c in pattern)
        {
            if (inClass)
            {
                if (c == ']')
                {
                    inClass = false;
                }
                else if (!char.IsAsciiLetterOrDigit(c) && c is not '_' and not '.' and not '-' and not '!' and not '^')
                {
                    reason = $"tag glob '{pattern}' has '{c}' inside [...]";
                    return false;
                }

                continue;
            }

            if (c == '[')
            {
                inClass = true;
            }
            else if (!char.IsAsciiLetterOrDigit(c) && c is not '_' and not '.' and not '-' and not '*' and not '?')
            {
                reason = $"tag glob '{pattern}' may hold only letters, digits, '_', '.', '-', '*', '?' and [...]";
                return false;
            }
        }

        if (inClass)
        {
            reason = $"tag glob '{pattern}' has an unclosed '['";
            return false;
        }

        try
        {
            TagGlob.Validate(pattern);
        }
        catch (FormatException ex)
        {
            reason = ex.Message;
            return false;
        }

        reason = string.Empty;
        return true;
    }
}
