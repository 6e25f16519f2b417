namespace CvmfsImages.Publisher.Publishing;

/// <summary>A tag or metadata change names an image that is not (completely) in the repository.</summary>
public sealed class ImageNotPublishedException : InvalidOperationException
{
    public ImageNotPublishedException()
    {
    }

    public ImageNotPublishedException(string message)
        : base(message)
    {
    }

    public ImageNotPublishedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public ImageNotPublishedException(string configDigest, string? tagPath)
        : base(tagPath is null
            ? $"image {configDigest} is not published"
            : $"cannot point '{tagPath}' at image {configDigest}: the image is not published (add it first, in the same or an earlier call)")
    {
        ConfigDigest = configDigest;
        TagPath = tagPath;
    }

    /// <summary>The missing image.</summary>
    public string? ConfigDigest { get; }

    /// <summary>The tag that would have pointed at it, if any.</summary>
    public string? TagPath { get; }
}
