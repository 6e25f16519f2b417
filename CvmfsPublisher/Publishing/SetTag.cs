namespace CvmfsImages.Publisher.Publishing;

/// <summary>
/// Creates or moves a tag symlink atomically. The image must be published already or added earlier in the same
/// <see cref="CvmfsRepository.ApplyAsync"/> call. <see cref="Reference"/>, when set, names the source in messages
/// (e.g. the two references of a path collision).
/// </summary>
public sealed record SetTag(string TagPath, string ConfigDigest) : RepositoryChange
{
    /// <summary>The reference this tag was derived from, for messages; optional.</summary>
    public string? Reference { get; init; }
}
