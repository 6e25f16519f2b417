namespace CvmfsImages.Sync.GitHub;

/// <summary>The one normalisation used to match a published list line with the line a PR added: comment removed, trimmed.</summary>
internal static class ListLines
{
    public static string Normalise(string line)
    {
        ArgumentNullException.ThrowIfNull(line);
        var hash = line.IndexOf('#', StringComparison.Ordinal);
        return (hash >= 0 ? line[..hash] : line).Trim();
    }
}
