using CvmfsImages.Publisher.Publishing;

namespace CvmfsImages.Sync.Execution;

/// <summary>The last batch of a pass, in five parts; <see cref="All"/> is them in this order.</summary>
internal sealed record FinalChanges(
    IReadOnlyList<AdoptImage> Adoptions,
    IReadOnlyList<SetTag> AdoptMoves,
    IReadOnlyList<UpdateMetadata> Updates,
    IReadOnlyList<SetTag> Moves,
    IReadOnlyList<RemoveTag> Removals)
{
    public IReadOnlyList<RepositoryChange> All => [.. Adoptions, .. AdoptMoves, .. Updates, .. Moves, .. Removals];
}
