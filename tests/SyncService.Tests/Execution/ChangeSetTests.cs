using Xunit;
using CvmfsImages.Publisher.Publishing;
using CvmfsImages.Sync.Execution;
using CvmfsImages.Sync.Planning;
using static CvmfsImages.Tests.SyncService.Planning.PlannerFixtures;

namespace CvmfsImages.Tests.SyncService.Execution;

/// <summary>Reuses of published images become one merged metadata update per image and one tag move per path that changes.</summary>
public sealed class ChangeSetTests
{
    [Fact]
    public void Reuses_of_one_image_merge_into_one_update_with_each_new_source_once_in_the_order_seen()
    {
        var image = Image("config", "manifest", sources: "top-a") with { Sources = ["example.org/org/a:1"] };
        var published = State([("org/a:1", "config")], image);
        var changes = new ChangeSet(published, TimeProvider.System);

        changes.Reuse(new ReuseDecision(Target("example.org/org/b:1"), D("top-a"), S("config")));
        changes.Reuse(new ReuseDecision(Target("example.org/org/a:1"), D("top-a"), S("config"))); // already a source, tag in place
        changes.Reuse(new ReuseDecision(Target("example.org/org/c:1"), D("top-c"), S("config")));

        var final = changes.Final([]);
        var update = Assert.Single(final.Updates).Metadata;
        Assert.Equal([S("top-a"), S("top-c")], update.SourceDigests);
        Assert.Equal(["example.org/org/a:1", "example.org/org/b:1", "example.org/org/c:1"], update.Sources);
        Assert.Equal(image with { SourceDigests = update.SourceDigests, Sources = update.Sources }, update); // nothing else changed
        Assert.Equal(["org/b:1", "org/c:1"], final.Moves.Select(m => m.TagPath));
    }

    [Fact]
    public void A_reuse_that_adds_no_source_makes_no_update()
    {
        var image = Image("config", "manifest", sources: "top-a") with { Sources = ["example.org/org/a:1"] };
        var changes = new ChangeSet(State([("org/a:1", "config")], image), TimeProvider.System);

        changes.Reuse(new ReuseDecision(Target("example.org/org/a:1"), D("top-a"), S("config")));

        var final = changes.Final(["org/gone:1"]);
        Assert.Empty(final.Updates);
        Assert.Empty(final.Moves);
        Assert.Equal("org/gone:1", Assert.Single(final.Removals).TagPath);
    }

    /// <summary>Many tags onto one image (50,000 digest pins, issue 21): each reuse is one look-up, not a copy of the sources.</summary>
    [Fact]
    public void Fifty_thousand_reuses_of_one_image_keep_every_source_once()
    {
        var image = Image("config", "manifest", sources: "top") with { Sources = ["example.org/pins/p0:1"] };
        var changes = new ChangeSet(State([], image), TimeProvider.System);
        for (var i = 1; i <= 50_000; i++)
        {
            changes.Reuse(new ReuseDecision(Target($"example.org/pins/p{i % 25_000}:1"), D("top"), S("config")));
        }

        var update = Assert.Single(changes.Final([]).Updates).Metadata;
        Assert.Equal(25_000, update.Sources.Count);
        Assert.Equal(update.Sources.Count, update.Sources.Distinct(StringComparer.Ordinal).Count());
        Assert.Equal([S("top")], update.SourceDigests);
        Assert.Equal(50_000, changes.Final([]).Moves.Count);
    }
}
