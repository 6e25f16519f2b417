namespace CvmfsImages.Publisher.Publishing;

/// <summary>One change to a repository; <see cref="CvmfsRepository.ApplyAsync"/> applies them in transactions.</summary>
public abstract record RepositoryChange;
