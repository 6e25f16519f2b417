using System.Runtime.InteropServices;
using CvmfsImages.Runtime.Native;

namespace CvmfsImages.Runtime.Planning;

/// <summary>Lexical path rules. Comparisons are on whole components: <c>/cvmfs</c> is not a prefix of <c>/cvmfs2</c>.</summary>
internal static class PathRules
{
    /// <summary>The components of an absolute or relative path, without empty and <c>.</c> components.</summary>
    public static List<string> Components(string path) =>
        [.. path.Split('/', StringSplitOptions.RemoveEmptyEntries).Where(c => c != ".")];

    /// <summary>Collapses <c>//</c>, <c>.</c> and <c>..</c> lexically (<c>..</c> stops at <c>/</c>); the result is absolute.</summary>
    public static string Normalize(string path)
    {
        var stack = new List<string>();
        foreach (var c in Components(path))
        {
            if (c == "..")
            {
                if (stack.Count > 0)
                {
                    stack.RemoveAt(stack.Count - 1);
                }

                continue;
            }

            stack.Add(c);
        }

        return Join(stack);
    }

    public static string Join(IEnumerable<string> components) => "/" + string.Join('/', components);

    /// <summary>True when <paramref name="path"/> is <paramref name="prefix"/> or lies beneath it (both normalised).</summary>
    public static bool IsAtOrUnder(string path, string prefix)
    {
        if (prefix == "/")
        {
            return true;
        }

        return path == prefix || (path.StartsWith(prefix, StringComparison.Ordinal) && path.Length > prefix.Length && path[prefix.Length] == '/');
    }

    /// <summary>The host's canonical path (symlinks resolved) of an existing path, or null when it does not exist.</summary>
    public static string? RealPath(string path)
    {
        var result = Libc.RealPath(path, 0);
        if (result == 0)
        {
            return null;
        }

        try
        {
            return Marshal.PtrToStringUTF8(result);
        }
        finally
        {
            Libc.Free(result);
        }
    }
}
