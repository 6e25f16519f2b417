using CvmfsImages.Publisher.Publishing;
using CvmfsImages.Registry;
using CvmfsImages.Sync.Lists;
using CvmfsImages.Sync.Planning;
using Xunit;
using static CvmfsImages.Tests.SyncService.Planning.PlannerFixtures;

namespace CvmfsImages.Tests.SyncService.Planning;

public sealed class LargeListTests
{
    [Fact]
    public void A_50000_line_list_is_parsed_checked_and_planned_without_network()
    {
        var lines = Enumerable.Range(0, 50_000).Select(i => i % 10 == 0 ? $"# comment {i}" : $"org{i % 97}/image{i}:v{i % 13}  # note").ToList();
        lines[123] = "Not A Reference";
        var text = string.Join('\n', lines);

        // Behaviour only; bench/sync-resync.sh times the same work end to end (a 50,000-line list, no network).
        var list = ImageList.Parse(text, "big.txt");
        var conflicts = ListChecks.FindConflicts(list.Entries, PathStyle.Osg);
        var (targets, refused) = TargetBuilder.Build(list.Entries.Select(e => (e, e.Reference)), [Platform.LinuxAmd64], PathStyle.Osg);
        var published = new PublishedState(
            targets.ToDictionary(t => t.TagPath, _ => S("c")),
            new Dictionary<string, ImageMetadata> { [S("c")] = Image("c", "m", "linux/amd64", "top") });
        var resolutions = targets.ToDictionary(t => t.Reference, _ => ResolveOutcome.Resolved(D("top")));
        var decisions = SyncPlanner.Plan(targets, resolutions, published);
        var removals = SyncPlanner.Removals(published, targets, _ => false, allowRemovals: true);

        Assert.Equal(44_999, list.Entries.Count);
        Assert.Equal(124, Assert.Single(list.Problems).LineNumber);
        Assert.Empty(conflicts);
        Assert.Empty(refused);
        Assert.All(decisions, d => Assert.IsType<KeepDecision>(d));
        Assert.Empty(removals);
    }
}
