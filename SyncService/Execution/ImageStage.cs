namespace CvmfsImages.Sync.Execution;

/// <summary>Where one image is in a sync; the terminal shows it per image.</summary>
public enum ImageStage
{
    Resolving,
    Current,
    Pulling,
    Flattening,
    Publishing,
    Published,
    Updated,
    Removed,
    Failed,
}
