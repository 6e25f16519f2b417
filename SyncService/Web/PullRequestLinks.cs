using CvmfsImages.Sync.GitHub;

namespace CvmfsImages.Sync.Web;

/// <summary>
/// Links a list line to the pull request that added it, from what the publish notices recorded (the merged PRs' added
/// lines, <see cref="NoticeStore"/>). Nothing when GitHub is not configured or notices are off.
/// </summary>
internal sealed class PullRequestLinks
{
    private readonly NoticeStore? _store;
    private readonly string? _base;

    public PullRequestLinks(GitHubOptions? options = null)
    {
        if (options is not { PublishNotices: true })
        {
            return;
        }

        _store = new NoticeStore(options.NoticeDatabase);
        _base = WebBase(options);
    }

    /// <summary>The PR that added <paramref name="line"/>, or null.</summary>
    public Api.ApiPullRequest? Find(string line)
    {
        if (_store is null || ListLines.Normalise(line) is not { Length: > 0 } normalised)
        {
            return null;
        }

        return _store.FindPullRequest(normalised, DateTimeOffset.MinValue) is { } number
            ? new Api.ApiPullRequest(number, $"{_base}/pull/{number.ToString(System.Globalization.CultureInfo.InvariantCulture)}")
            : null;
    }

    // https://api.github.com -> https://github.com/OWNER/REPO; GitHub Enterprise https://HOST/api/v3 -> https://HOST/OWNER/REPO.
    private static string WebBase(GitHubOptions options)
    {
        var api = options.ApiBaseUrl;
        var root = api.Host.Equals("api.github.com", StringComparison.OrdinalIgnoreCase)
            ? "https://github.com"
            : api.GetLeftPart(UriPartial.Authority);
        return $"{root}/{Uri.EscapeDataString(options.Owner)}/{Uri.EscapeDataString(options.Repository)}";
    }
}
