using CvmfsImages.Sync.Planning;
using Xunit;
using static CvmfsImages.Tests.SyncService.Planning.PlannerFixtures;

namespace CvmfsImages.Tests.SyncService.Planning;

public sealed class SyncPlannerTests
{
    [Fact]
    public void An_unchanged_tag_is_kept_on_its_top_digest_alone()
    {
        var t = Target("python:3.12");
        var published = State([(t.TagPath, "c1")], Image("c1", "m1", "linux/amd64", "index1"));

        var decision = Assert.Single(SyncPlanner.Plan([t], Resolutions((t, "index1")), published));

        var keep = Assert.IsType<KeepDecision>(decision);
        Assert.Equal(S("c1"), keep.ConfigDigest);
    }

    [Fact]
    public void A_single_manifest_image_is_kept_when_its_top_digest_is_the_manifest_digest()
    {
        var t = Target("python:3.12");
        var published = State([(t.TagPath, "c1")], Image("c1", "m1"));
        Assert.IsType<KeepDecision>(Assert.Single(SyncPlanner.Plan([t], Resolutions((t, "m1")), published)));
    }

    [Fact]
    public void A_new_tag_with_an_unknown_digest_needs_its_manifest()
    {
        var t = Target("python:3.13");
        var published = State([], Image("c1", "m1", "linux/amd64", "index1"));

        var fetch = Assert.IsType<FetchManifestDecision>(Assert.Single(SyncPlanner.Plan([t], Resolutions((t, "index2")), published)));
        Assert.Equal(D("index2"), fetch.TopDigest);
    }

    [Fact]
    public void A_new_tag_whose_digest_another_tag_published_reuses_that_image_without_a_download()
    {
        var t = Target("python:latest");
        var published = State([("library/python:3.12", "c1")], Image("c1", "m1", "linux/amd64", "index1"));

        var reuse = Assert.IsType<ReuseDecision>(Assert.Single(SyncPlanner.Plan([t], Resolutions((t, "index1")), published)));
        Assert.Equal(S("c1"), reuse.ConfigDigest);
    }

    [Fact]
    public void A_digest_known_only_for_another_platform_is_not_reused()
    {
        var t = Target("python:3.12");
        var published = State([], Image("c-arm", "m-arm", "linux/arm64", "index1"));
        Assert.IsType<FetchManifestDecision>(Assert.Single(SyncPlanner.Plan([t], Resolutions((t, "index1")), published)));
    }

    [Fact]
    public void A_failed_resolution_fails_the_target_and_keeps_its_published_path()
    {
        var t = Target("python:3.12");
        var published = State([(t.TagPath, "c1")], Image("c1", "m1", "linux/amd64", "index1"));

        var fail = Assert.IsType<FailDecision>(Assert.Single(SyncPlanner.Plan([t], Resolutions((t, null)), published)));
        Assert.Contains("unreachable", fail.Reason, StringComparison.Ordinal);
        Assert.Empty(SyncPlanner.Removals(published, [t], _ => false, allowRemovals: true));
    }

    [Theory]
    [InlineData("c1", "m1", typeof(ReuseDecision), "c1")] // new index around the same image: metadata only
    [InlineData("c2", "m2", typeof(ReuseDecision), "c2")] // the tag moved to an image published under another tag
    [InlineData("c3", "m3", typeof(PullDecision), "c3")]  // the tag moved to a new image
    public void A_moved_tag_is_settled_by_its_platform_manifest(string config, string manifest, Type expected, string expectedConfig)
    {
        var t = Target("python:3.12");
        var published = State(
            [(t.TagPath, "c1"), ("library/python:3.13", "c2")],
            Image("c1", "m1", "linux/amd64", "index1"),
            Image("c2", "m2", "linux/amd64", "index2"));

        var fetch = Assert.IsType<FetchManifestDecision>(Assert.Single(SyncPlanner.Plan([t], Resolutions((t, "index-new")), published)));
        var decided = SyncPlanner.Complete(fetch, Resolved(t, "index-new", manifest, config), published);

        Assert.IsType(expected, decided);
        var chosen = decided switch
        {
            ReuseDecision r => r.ConfigDigest,
            PullDecision p => p.ConfigDigest,
            _ => null,
        };
        Assert.Equal(S(expectedConfig), chosen);
    }

    [Fact]
    public void Unlisted_paths_are_removed_unless_protected_or_the_list_is_broken()
    {
        var t = Target("python:3.12");
        var published = State(
            [(t.TagPath, "c1"), ("library/python:3.11", "c1"), ("gromacs/gromacs:2023.1", "c2")],
            Image("c1", "m1"),
            Image("c2", "m2"));

        Assert.Equal(["gromacs/gromacs:2023.1", "library/python:3.11"], SyncPlanner.Removals(published, [t], _ => false, allowRemovals: true));
        Assert.Equal(["library/python:3.11"], SyncPlanner.Removals(published, [t], p => p.StartsWith("gromacs/", StringComparison.Ordinal), allowRemovals: true));
        Assert.Empty(SyncPlanner.Removals(published, [t], _ => false, allowRemovals: false));
    }

    [Fact]
    public void Every_platform_is_planned_on_its_own()
    {
        var amd = Target("python:3.12");
        var arm = Target("python:3.12", "linux/arm64");
        Assert.Equal("library/python:3.12@linux-arm64", arm.TagPath);
        var published = State([(amd.TagPath, "c-amd"), (arm.TagPath, "c-arm")],
            Image("c-amd", "m-amd", "linux/amd64", "index1"),
            Image("c-arm", "m-arm", "linux/arm64", "index1"));

        var decisions = SyncPlanner.Plan([amd, arm], Resolutions((amd, "index1")), published);

        Assert.Equal([S("c-amd"), S("c-arm")], decisions.Select(d => Assert.IsType<KeepDecision>(d).ConfigDigest));
    }
}
