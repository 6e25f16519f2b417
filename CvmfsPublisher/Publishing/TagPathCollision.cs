namespace CvmfsImages.Publisher.Publishing;

/// <summary>Two different references that map to the same tag path.</summary>
public sealed record TagPathCollision(string TagPath, string FirstReference, string SecondReference)
{
    /// <summary>A message naming both references and the path.</summary>
    public string Message =>
        $"'{FirstReference}' and '{SecondReference}' both map to the repository path '{TagPath}'; publish at most one of them";
}
