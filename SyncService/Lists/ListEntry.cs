using CvmfsImages.Registry.Names;

namespace CvmfsImages.Sync.Lists;

/// <summary>
/// One image line of a list. <paramref name="Text"/> is the line without its comment, trimmed.
/// For a glob entry (<paramref name="IsGlob"/>) the tag is a pattern that <see cref="ImageReference"/> cannot hold:
/// <see cref="TagPattern"/> carries it and <paramref name="Reference"/> names the repository with the placeholder tag
/// <c>latest</c>, which must not be used as a tag.
/// </summary>
public sealed record ListEntry(int LineNumber, string Text, ImageReference Reference, bool IsGlob)
{
    /// <summary>The tag glob of a glob entry (<c>2023.*</c>); null for a plain tag or digest pin.</summary>
    public string? TagPattern { get; init; }

    /// <summary>The repository of the entry.</summary>
    public RepositoryName Repository => Reference.Repository;

    /// <summary>
    /// A canonical key: equal for two lines that name the same thing (<c>python</c> and
    /// <c>docker.io/library/python:latest</c>).
    /// </summary>
    public string Key => IsGlob ? $"{Reference.Repository}:{TagPattern}" : Reference.ToString();
}
