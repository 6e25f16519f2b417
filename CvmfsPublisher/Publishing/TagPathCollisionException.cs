namespace CvmfsImages.Publisher.Publishing;

/// <summary>Two references map to one tag path; neither is published to it.</summary>
public sealed class TagPathCollisionException : InvalidOperationException
{
    public TagPathCollisionException()
    {
    }

    public TagPathCollisionException(string message)
        : base(message)
    {
    }

    public TagPathCollisionException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public TagPathCollisionException(TagPathCollision collision)
        : base((collision ?? throw new ArgumentNullException(nameof(collision))).Message)
    {
        Collision = collision;
    }

    /// <summary>The path and both references.</summary>
    public TagPathCollision? Collision { get; }
}
