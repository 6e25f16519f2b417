using CvmfsImages.Publisher.Publishing;
using CvmfsImages.Sync.Lists;
using CvmfsImages.Sync.Planning;

namespace CvmfsImages.Sync.Execution;

/// <summary>What a pass decided before it changes anything (steps 1-6 of <see cref="SyncEngine.RunAsync"/>).</summary>
internal sealed record PassPlan(
    IReadOnlyList<ListProblem> Conflicts,
    PathProtection Protection,
    IReadOnlyList<SyncTarget> Targets,
    PublishedState Published,
    IReadOnlyList<TargetDecision> Decisions);
