namespace CvmfsImages.Sync.Web.Api;

/// <summary>A target the running pass works on now.</summary>
internal sealed record ApiActive(string Reference, string? Path, string Stage, string? Detail);
