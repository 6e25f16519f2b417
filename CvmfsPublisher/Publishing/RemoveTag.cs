namespace CvmfsImages.Publisher.Publishing;

/// <summary>Removes a tag symlink; its image becomes garbage after the grace period when nothing else refers to it.</summary>
public sealed record RemoveTag(string TagPath) : RepositoryChange;
