using CvmfsImages.Publisher.Publishing;

namespace CvmfsImages.Sync.Lists;

/// <summary>
/// Checks across lines: the same image listed twice, and two different references that would publish to the same
/// path (OSG's layout drops the registry, so <c>docker.io/org/x:1</c> and <c>ghcr.io/org/x:1</c> collide). Each
/// problem names both lines; the first line wins, the later one is the problem.
/// </summary>
public static partial class ListChecks
{
    /// <summary>Duplicates and path collisions; <paramref name="pathOf"/> gives an entry's repository path (null for globs).</summary>
    internal static IReadOnlyList<ListProblem> FindConflicts(IReadOnlyList<ListEntry> entries, Func<ListEntry, string?> pathOf)
    {
        ArgumentNullException.ThrowIfNull(entries);
        ArgumentNullException.ThrowIfNull(pathOf);
        var problems = new List<ListProblem>();
        var byKey = new Dictionary<string, ListEntry>(StringComparer.Ordinal);
        var byPath = new TagPathClaims<ListEntry>();
        foreach (var entry in entries)
        {
            if (byKey.TryGetValue(entry.Key, out var first))
            {
                problems.Add(new ListProblem(
                    entry.LineNumber,
                    $"'{entry.Text}' is listed twice: line {first.LineNumber} already names {entry.Key}",
                    first.LineNumber));
                continue;
            }

            byKey.Add(entry.Key, entry);
            if (pathOf(entry) is not { } path)
            {
                continue;
            }

            if (!byPath.TryClaim(path, entry, out var other))
            {
                problems.Add(new ListProblem(
                    entry.LineNumber,
                    $"'{entry.Text}' and '{other.Text}' (line {other.LineNumber}) would both be published at '{path}'",
                    other.LineNumber));
            }
        }

        return problems;
    }
}
