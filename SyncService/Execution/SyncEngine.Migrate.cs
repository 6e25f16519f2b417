using CvmfsImages.Sync.Lists;
using CvmfsImages.Sync.Migration;
using CvmfsImages.Sync.Planning;

namespace CvmfsImages.Sync.Execution;

internal sealed partial class SyncEngine
{
    /// <summary>
    /// <c>migrate --dry-run</c>: what a full pass would do over the repository (adopt, reuse, republish and why,
    /// unlink, and OSG's directories with their GC dates), read from the registries without a blob download and with
    /// nothing written.
    /// </summary>
    public async Task<MigrationReport> PlanMigrationAsync(ImageList list, TimeSpan gracePeriod, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(list);
        var run = new SyncRun(list, null);
        var plan = await PlanPassAsync(list, SyncScope.Full, run, new UnreachableRegistries(), manifestsOnly: true, ct).ConfigureAwait(false);
        var removals = SyncPlanner.Removals(plan.Published, plan.Targets, plan.Protection.Covers, allowRemovals: list.Problems.Count == 0);
        var warnings = run.Warnings.ToList();
        if (list.Problems.Count > 0)
        {
            warnings.Add($"the list has {list.Problems.Count} malformed line(s): unlisted paths are kept until it is fixed");
        }

        return MigrationPlanner.Describe(plan, removals, run.Results, warnings, gracePeriod, _time.GetUtcNow());
    }
}
