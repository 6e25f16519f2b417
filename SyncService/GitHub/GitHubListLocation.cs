namespace CvmfsImages.Sync.GitHub;

/// <summary>
/// <c>Sync:List</c> values that select the GitHub source: <c>github:</c> alone (everything from the <c>GitHub</c>
/// section) or <c>github:OWNER/REPO[/PATH][@BRANCH]</c>, which fills those keys of the section.
/// </summary>
internal static class GitHubListLocation
{
    public const string Scheme = "github:";

    public static bool IsGitHub(string? location) => location?.StartsWith(Scheme, StringComparison.OrdinalIgnoreCase) == true;

    /// <summary>Applies the location's parts to <paramref name="options"/>; <see cref="GitHubOptionsException"/> on a malformed one.</summary>
    public static void Apply(string location, GitHubOptions options)
    {
        ArgumentNullException.ThrowIfNull(location);
        ArgumentNullException.ThrowIfNull(options);
        var rest = location[Scheme.Length..];
        if (rest.Length == 0)
        {
            return;
        }

        var at = rest.LastIndexOf('@');
        if (at >= 0)
        {
            options.Branch = rest[(at + 1)..];
            rest = rest[..at];
        }

        var parts = rest.Split('/', 3);
        if (parts.Length < 2 || parts[0].Length == 0 || parts[1].Length == 0)
        {
            throw new GitHubOptionsException("Sync:List", $"'{location}' must look like github:OWNER/REPO[/PATH][@BRANCH]");
        }

        options.Owner = parts[0];
        options.Repository = parts[1];
        if (parts.Length == 3)
        {
            options.Path = parts[2];
        }
    }
}
