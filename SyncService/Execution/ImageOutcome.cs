namespace CvmfsImages.Sync.Execution;

/// <summary>How one target ended a sync.</summary>
public enum ImageOutcome
{
    /// <summary>Already current: one HEAD request, nothing else.</summary>
    Current,

    /// <summary>A new image was pulled, flattened and published, and the path points at it.</summary>
    Published,

    /// <summary>The path now points at an image that was already published, or only its metadata changed.</summary>
    Updated,

    /// <summary>The path was removed: no list line wants it any more.</summary>
    Removed,

    /// <summary>Could not be brought up to date; what was published stays.</summary>
    Failed,
}
