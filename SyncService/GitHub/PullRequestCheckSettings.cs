using CvmfsImages.Publisher.Publishing;
using CvmfsImages.Registry;

namespace CvmfsImages.Sync.GitHub;

/// <summary>
/// What PR checks and notices need from the rest of the configuration: the platforms published (the first is
/// primary), the repository's path style, and where the repository is mounted on worker nodes
/// (<c>/cvmfs/singularity.opensciencegrid.org</c>), which prefixes every path shown on a PR.
/// </summary>
internal sealed record PullRequestCheckSettings(IReadOnlyList<Platform> Platforms, PathStyle Style, string CvmfsRoot)
{
    /// <summary>Most glob tags listed per line (the rest are counted).</summary>
    public int MaxTagsPerGlob { get; init; } = 100;

    /// <summary>Which registries the check may contact for unreviewed PR lines.</summary>
    public CheckedRegistries Registries { get; init; } = CheckedRegistries.Public;

    /// <summary>How many changed lines are resolved at once.</summary>
    public int MaxConcurrentResolves { get; init; } = 4;

    /// <summary>The full path of a repository-relative tag path.</summary>
    public string Full(string repositoryPath) => CvmfsRoot.TrimEnd('/') + "/" + repositoryPath.TrimStart('/');
}
