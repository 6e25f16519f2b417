using CvmfsImages.Publisher.Publishing;

namespace CvmfsImages.Sync.Execution;

/// <summary>One new image's changes: <see cref="Image"/> first, then <see cref="Tags"/> (one per pull, in order).</summary>
internal sealed record NewImageChanges(AddImage Image, IReadOnlyList<SetTag> Tags)
{
    public IReadOnlyList<RepositoryChange> All => [Image, .. Tags];
}
