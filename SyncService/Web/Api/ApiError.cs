namespace CvmfsImages.Sync.Web.Api;

/// <summary>A JSON error answer (404 for an unknown image path).</summary>
internal sealed record ApiError(int SchemaVersion, string Error);
