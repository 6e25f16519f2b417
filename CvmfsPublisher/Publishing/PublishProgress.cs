namespace CvmfsImages.Publisher.Publishing;

/// <summary>Progress of <see cref="CvmfsRepository.ApplyAsync"/>: changes done of the total, and the current step.</summary>
public sealed record PublishProgress(int Done, int Total, string Step);
