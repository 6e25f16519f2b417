namespace CvmfsImages.Sync.Execution;

/// <summary>A step of one image in a sync: its reference, its repository path (when known) and an optional detail.</summary>
public sealed record ImageProgress(string Reference, string? TagPath, ImageStage Stage, string? Detail = null);
