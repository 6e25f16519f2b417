namespace CvmfsImages.Sync.Web.Api;

/// <summary>The pull request that added a list line (when GitHub is configured and the line was published from it).</summary>
internal sealed record ApiPullRequest(int Number, string Url);
