namespace CvmfsImages.Sync.Web.Api;

/// <summary><c>GET /api/images</c>: every published tag and every list line waiting or failing.</summary>
internal sealed record ApiImages(int SchemaVersion, DateTimeOffset GeneratedAt, string Repository, IReadOnlyList<ApiImage> Images);
