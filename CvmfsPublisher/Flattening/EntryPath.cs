namespace CvmfsImages.Publisher.Flattening;

/// <summary>Lexical cleaning of tar entry names and hardlink targets, relative to the image root.</summary>
internal static class EntryPath
{
    /// <summary>
    /// Splits <paramref name="name"/> into components relative to the root: a leading <c>/</c> and <c>.</c>
    /// components are dropped, <c>..</c> removes the component before it. A <c>..</c> that would climb above the
    /// root is refused (it is never clamped: an archive that tries is hostile or broken). An empty result is the
    /// root itself.
    /// </summary>
    /// <exception cref="EntryRefusedException">The name climbs out of the root or holds a NUL byte.</exception>
    public static List<string> Clean(string name)
    {
        if (name.Contains('\0', StringComparison.Ordinal))
        {
            throw new EntryRefusedException("the name holds a NUL byte");
        }

        var parts = new List<string>();
        foreach (var part in name.Split('/'))
        {
            switch (part)
            {
                case "" or ".":
                    continue;
                case "..":
                    if (parts.Count == 0)
                    {
                        throw new EntryRefusedException($"'{name}' climbs out of the image root with '..'");
                    }

                    parts.RemoveAt(parts.Count - 1);
                    continue;
                default:
                    parts.Add(part);
                    continue;
            }
        }

        return parts;
    }

    /// <summary>Joins a physical parent path and a name ("" is the root).</summary>
    public static string Join(string parent, string name) => parent.Length == 0 ? name : parent + "/" + name;

    /// <summary>The parent of a physical path ("" for a top-level name).</summary>
    public static string Parent(string path)
    {
        var slash = path.LastIndexOf('/');
        return slash < 0 ? string.Empty : path[..slash];
    }
}
