using CvmfsImages.Registry;
using CvmfsImages.Sync.CommandLine;
using CvmfsImages.Sync.Planning;
using CvmfsImages.TestSupport;
using CvmfsImages.TestSupport.Images;
using Xunit;

namespace CvmfsImages.Tests.SyncService.EndToEnd;

/// <summary>
/// A short list (a truncated file, a bad merge) must never empty the repository: a pass that would remove more than
/// <c>Sync:MaxRemovalPercent</c> of the published tags stops before it changes anything, with exit 5, unless
/// <c>sync --allow-mass-removal</c>.
/// </summary>
public sealed class MassRemovalTests(RegistryFixture fixture) : IClassFixture<RegistryFixture>
{
    [Theory]
    [InlineData(0, 10, 10, false)]
    [InlineData(1, 10, 10, false)]
    [InlineData(2, 10, 10, true)]
    [InlineData(10, 100, 10, false)]
    [InlineData(11, 100, 10, true)]
    [InlineData(1, 3, 10, false)]
    [InlineData(1, 1, 10, true)]
    [InlineData(3, 3, 100, true)]
    [InlineData(2, 3, 100, false)]
    [InlineData(2, 100, 0, true)]
    [InlineData(1, 100, 0, false)]
    [InlineData(0, 0, 10, false)]
    public void Mass_removal_is_more_than_the_share_and_more_than_one_tag_or_every_tag(int removals, int published, int maxPercent, bool expected) =>
        Assert.Equal(expected, SyncPlanner.IsMassRemoval(removals, published, maxPercent));

    [Fact]
    public async Task A_list_that_would_remove_most_tags_stops_before_changing_anything_unless_allowed()
    {
        var registry = fixture.Registry;
        var ct = TestContext.Current.CancellationToken;
        using var client = new RegistryClient(new RegistryClientOptions());
        var lines = new List<string>();
        for (var i = 0; i < 4; i++)
        {
            await TestImage.Create().WithLayer(TestFile.Text("etc/hello", $"mass {i}\n")).PushAsync(client, $"{registry.Host}/mass/app:{i}", ct);
            lines.Add($"{registry.Host}/mass/app:{i}");
        }

        await TestImage.Create().WithLayer(TestFile.Text("etc/hello", "mass new\n")).PushAsync(client, $"{registry.Host}/mass/new:1", ct);
        using var h = new SyncHarness();
        h.WriteList([.. lines]);
        var (exit, output, error) = await h.RunCliAsync("sync --once");
        Assert.True(exit == ExitCodes.Success, $"exit {exit}\n{output}\n{error}");

        // A truncated list: one old line and one new one. 3 of 4 tags would go: refused, nothing changes at all.
        h.WriteList(lines[0], $"{registry.Host}/mass/new:1");
        (exit, output, error) = await h.RunCliAsync("sync --once");
        Assert.Equal(ExitCodes.MassRemoval, exit);
        Assert.Contains("would remove 3 of the 4 published tags", error, StringComparison.Ordinal);
        Assert.Contains("Sync:MaxRemovalPercent (10 %)", error, StringComparison.Ordinal);
        Assert.Contains("--allow-mass-removal", error, StringComparison.Ordinal);
        Assert.Contains("mass/app:1", error, StringComparison.Ordinal);
        for (var i = 0; i < 4; i++)
        {
            Assert.Equal($"mass {i}\n", h.ReadFromImage($"mass/app:{i}", "etc/hello"));
        }

        Assert.Null(h.ImageOf("mass/new:1"));

        // The share is a setting: 75 % is still more than 50 %; 100 % lets it through.
        (exit, _, error) = await h.RunCliAsync("sync --once", "--set", "Sync:MaxRemovalPercent=50");
        Assert.Equal(ExitCodes.MassRemoval, exit);
        Assert.Contains("Sync:MaxRemovalPercent (50 %)", error, StringComparison.Ordinal);

        (exit, output, error) = await h.RunCliAsync("sync --once", "--allow-mass-removal");
        Assert.True(exit == ExitCodes.Success, $"exit {exit}\n{output}\n{error}");
        Assert.Equal("mass 0\n", h.ReadFromImage("mass/app:0", "etc/hello"));
        Assert.Equal("mass new\n", h.ReadFromImage("mass/new:1", "etc/hello"));
        for (var i = 1; i < 4; i++)
        {
            Assert.Null(h.ImageOf($"mass/app:{i}"));
        }

        // An empty list would remove every tag: refused even at 100 %.
        h.WriteList("# emptied by a bad merge");
        (exit, _, error) = await h.RunCliAsync("sync --once", "--set", "Sync:MaxRemovalPercent=100");
        Assert.Equal(ExitCodes.MassRemoval, exit);
        Assert.Contains("would remove 2 of the 2 published tags", error, StringComparison.Ordinal);
        Assert.Equal("mass new\n", h.ReadFromImage("mass/new:1", "etc/hello"));
    }

    [Theory]
    [InlineData("-1")]
    [InlineData("101")]
    public async Task A_share_outside_0_to_100_is_refused_naming_the_key(string value)
    {
        using var h = new SyncHarness();
        h.WriteList("# nothing");
        var (exit, _, error) = await h.RunCliAsync("sync --once", "--set", "Sync:MaxRemovalPercent=" + value);
        Assert.Equal(ExitCodes.Usage, exit);
        Assert.Contains("Sync:MaxRemovalPercent", error, StringComparison.Ordinal);
        Assert.Contains(value, error, StringComparison.Ordinal);
    }
}
