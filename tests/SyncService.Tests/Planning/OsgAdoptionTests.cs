using CvmfsImages.Publisher.Publishing;
using CvmfsImages.Registry;
using CvmfsImages.Sync.Migration;
using CvmfsImages.Sync.Planning;
using CvmfsImages.TestSupport.Images;
using CvmfsImages.TestSupport.Osg;
using Xunit;
using static CvmfsImages.Tests.SyncService.Planning.PlannerFixtures;

namespace CvmfsImages.Tests.SyncService.Planning;

/// <summary>
/// Which of OSG's directories an image is: the planner's rule checked against TestSupport's port of OSG's script
/// (<see cref="OsgLayout.ImageHash"/>, over the manifest bytes), and the decisions built on it.
/// </summary>
public sealed class OsgAdoptionTests
{
    private static readonly Platform Arm64 = Platform.Parse("linux/arm64/v8");

    [Fact]
    public void A_single_manifests_key_is_osgs_hash_of_its_layers()
    {
        var image = TestImage.Create().WithLayer(TestFile.Text("etc/a", "a")).WithLayer(TestFile.Text("etc/b", "b")).WithLayer(TestFile.Text("etc/c", "c")).Build();
        var target = Target("127.0.0.1:5000/ns/app:1");

        var key = OsgAdoption.KeyOf(Resolve(target, image, image.Manifest), Platform.LinuxAmd64);

        Assert.Equal("sha256:" + OsgLayout.ImageHash(image.Content.Span, image.Digest.ToString()), key);
        Assert.Equal(OsgLayout.ImageDirectory(OsgLayout.ImageHash(image.Content.Span, image.Digest.ToString())), RepositoryLayout.ImageDirectory(key!));
    }

    [Fact]
    public void A_manifest_lists_key_is_its_digest_for_amd64_and_nothing_for_other_platforms()
    {
        var image = TestImage.Create().WithLayer(TestFile.Text("etc/a", "a")).WithPlatforms(Platform.LinuxAmd64, Arm64).Build();
        var amd = Resolve(Target("127.0.0.1:5000/ns/multi:1"), image, image.Manifests[0]);
        var arm = Resolve(Target("127.0.0.1:5000/ns/multi:1", "linux/arm64/v8"), image, image.Manifests[1]);

        var key = OsgAdoption.KeyOf(amd, Platform.LinuxAmd64);

        Assert.Equal(RepositoryLayout.IndexKeyPrefix + OsgLayout.ImageHash(image.Content.Span, image.Digest.ToString()), key);
        Assert.Equal(OsgLayout.ImageDirectory(image.Digest.ToString()), RepositoryLayout.ImageDirectory(key!));
        Assert.Null(OsgAdoption.KeyOf(arm, Arm64)); // OSG's tree for a list is linux/amd64's: never adopted as another platform
    }

    [Fact]
    public void Adoption_needs_the_directory_to_be_foreign_and_the_reason_to_republish_names_what_differs()
    {
        var image = TestImage.Create().WithLayer(TestFile.Text("etc/a", "new layers")).Build();
        var target = Target("127.0.0.1:5000/ns/app:1");
        var resolved = Resolve(target, image, image.Manifest);
        var key = OsgAdoption.KeyOf(resolved, Platform.LinuxAmd64)!;
        var fetch = new FetchManifestDecision(target, image.Digest);
        var oldKey = "sha256:" + new string('e', 64);
        var tags = new Dictionary<string, string> { [target.TagPath] = oldKey };
        var images = new Dictionary<string, ImageMetadata>();
        PublishedState With(params string[] foreign) => new(tags, images)
        {
            Foreign = foreign.ToDictionary(k => k, k => new ForeignImage(k, RepositoryLayout.ImageDirectory(k), k == oldKey, null)),
        };

        var adopt = OsgAdoption.Decide(fetch, resolved, With(oldKey, key));
        Assert.Equal(key, Assert.IsType<AdoptDecision>(adopt).ImageKey);
        Assert.Null(OsgAdoption.Decide(fetch, resolved, With(oldKey)));

        var why = MigrationPlanner.Why(new PullDecision(target, image.Digest, resolved), With(oldKey));
        Assert.StartsWith("digest moved upstream: the layers of " + image.Digest, why, StringComparison.Ordinal);
        Assert.EndsWith(RepositoryLayout.ImageDirectory(oldKey), why, StringComparison.Ordinal);
        Assert.StartsWith("not published yet", MigrationPlanner.Why(new PullDecision(Target("127.0.0.1:5000/ns/other:1"), image.Digest, resolved), With(oldKey)), StringComparison.Ordinal);
    }

    [Fact]
    public void An_image_adopted_under_its_osg_key_is_reused_by_config_digest()
    {
        var target = Target("127.0.0.1:5000/ns/copy:1");
        var osgKey = "sha256:" + new string('a', 64);
        var adopted = Image("config", "manifest") with { AdoptedFrom = RepositoryLayout.ImageDirectory(osgKey) };
        var published = new PublishedState(new Dictionary<string, string>(), new Dictionary<string, ImageMetadata> { [osgKey] = adopted });

        var decision = SyncPlanner.Complete(new FetchManifestDecision(target, D("other-top")), Resolved(target, "other-top", "manifest", "config"), published);

        Assert.Equal(osgKey, Assert.IsType<ReuseDecision>(decision).ConfigDigest);
    }

    private static ResolvedImage Resolve(SyncTarget target, BuiltImage image, BuiltManifest manifest) =>
        new(target.Reference, image.Digest, manifest.Digest, manifest.Platform, manifest.Config, ReadOnlyMemory<byte>.Empty, [.. manifest.Layers.Select(l => l.Descriptor)]);
}
