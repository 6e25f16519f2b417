using CvmfsImages.Registry;
using CvmfsImages.Sync.CommandLine;
using CvmfsImages.Sync.Execution;
using CvmfsImages.TestSupport;
using CvmfsImages.TestSupport.Images;
using Xunit;

namespace CvmfsImages.Tests.SyncService.EndToEnd;

/// <summary>
/// <c>sync --once</c> end to end on real parts: the Distribution registry with images pushed by the test, the real
/// registry client, flattener and directory-backend publisher; the tree on disk is checked after each step.
/// </summary>
public sealed class SyncEndToEndTests(RegistryFixture fixture) : IClassFixture<RegistryFixture>
{
    private static TestImage Image(string content) =>
        TestImage.Create()
            .WithLayer(TestFile.Dir("etc"), TestFile.Text("etc/hello", content))
            .WithLayer(LayerCompression.Zstd, TestFile.Text("usr/share/doc/readme", "layer two\n"), TestFile.Symlink("etc/link", "hello"))
            .WithEnv("GREETING=" + content.Trim());

    [Fact]
    public async Task Publishes_then_costs_one_head_per_image_then_follows_moves_and_removals_and_isolates_a_failure()
    {
        var registry = fixture.Registry;
        var ct = TestContext.Current.CancellationToken;
        using var client = new RegistryClient(new RegistryClientOptions());
        var v1 = await Image("one\n").PushAsync(client, $"{registry.Host}/team/app:1", ct);
        await Image("two\n").PushAsync(client, $"{registry.Host}/team/app:2", ct);
        await TestImage.PushBuiltAsync(client, Registry.Names.ImageReference.Parse($"{registry.Host}/team/alias:1"), v1, ct);
        using var h = new SyncHarness();
        h.WriteList(
            "# test list",
            $"{registry.Host}/team/app:1",
            $"{registry.Host}/team/app:2   # second",
            $"{registry.Host}/team/alias:1");

        // 1. First pass through the real command line: everything published, exit 0, summary printed.
        var (exit, output, error) = await h.RunCliAsync("sync --once");
        Assert.True(exit == ExitCodes.Success, $"exit {exit}\n{output}\n{error}");
        Assert.Contains("3 images: 0 current, 3 published", output, StringComparison.Ordinal);
        Assert.Equal("one\n", h.ReadFromImage("team/app:1", "etc/hello"));
        Assert.Equal("two\n", h.ReadFromImage("team/app:2", "etc/hello"));
        Assert.Equal("layer two\n", h.ReadFromImage("team/app:1", "usr/share/doc/readme"));
        Assert.Equal(h.ImageOf("team/app:1"), h.ImageOf("team/alias:1"));
        Assert.NotEqual(h.ImageOf("team/app:1"), h.ImageOf("team/app:2"));
        Assert.StartsWith(".images/", h.ImageOf("team/app:1"), StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(h.Root, h.ImageOf("team/app:1") + ".json")));

        // 2. The same list again: one HEAD per image and nothing else, everything current.
        var (again, requests) = await h.SyncAsync();
        Assert.True(again.Succeeded);
        Assert.Equal(3, again.Count(ImageOutcome.Current));
        Assert.Equal(new Dictionary<string, int> { ["HEAD"] = 3 }, requests);
        Assert.Equal(0, again.BytesPulled);

        // 3. A tag moved upstream is republished; the others stay current.
        var before = h.ImageOf("team/app:1");
        await Image("three\n").PushAsync(client, $"{registry.Host}/team/app:1", ct);
        var (moved, _) = await h.SyncAsync();
        Assert.True(moved.Succeeded);
        var republished = Assert.Single(moved.Results, r => r.Outcome == ImageOutcome.Published);
        Assert.Equal("team/app:1", republished.TagPath);
        Assert.True(republished.BytesPulled > 0);
        Assert.Equal("three\n", h.ReadFromImage("team/app:1", "etc/hello"));
        Assert.NotEqual(before, h.ImageOf("team/app:1"));
        Assert.Equal(before, h.ImageOf("team/alias:1"));

        // 4. A line removed from the list loses its path; an unreachable image fails alone and keeps nothing half-written.
        h.WriteList(
            $"{registry.Host}/team/app:1",
            $"{registry.Host}/team/alias:1",
            "127.0.0.1:9/nowhere/image:1");
        (exit, output, error) = await h.RunCliAsync("sync --once");
        Assert.True(exit == ExitCodes.ImagesFailed, $"exit {exit}\n{output}\n{error}");
        Assert.Null(h.ImageOf("team/app:2"));
        Assert.False(File.Exists(Path.Combine(h.Root, "team/app:2")));
        Assert.Equal("three\n", h.ReadFromImage("team/app:1", "etc/hello"));
        Assert.Contains("removed", output, StringComparison.Ordinal);
        Assert.Contains("127.0.0.1:9/nowhere/image:1", output, StringComparison.Ordinal);
        Assert.Contains("1 failed", output, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(h.Root, "nowhere/image:1")));

        // 5. status reads it back: published paths and the failure.
        (exit, output, error) = await h.RunCliAsync("status");
        Assert.True(exit == ExitCodes.ImagesFailed, $"exit {exit}\n{output}\n{error}");
        Assert.Contains("team/app:1", output, StringComparison.Ordinal);
        Assert.Contains("pending", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_poll_costs_nothing_while_the_list_is_unchanged_and_then_syncs_only_the_changed_lines()
    {
        var registry = fixture.Registry;
        var ct = TestContext.Current.CancellationToken;
        using var client = new RegistryClient(new RegistryClientOptions());
        foreach (var name in new[] { "a", "b", "c" })
        {
            await Image(name + "\n").PushAsync(client, $"{registry.Host}/poll/{name}:1", ct);
        }

        using var h = new SyncHarness();
        h.WriteList($"{registry.Host}/poll/a:1", $"{registry.Host}/poll/b:1");
        await using var session = h.Open();

        // The first read is a change from nothing: everything is synced.
        var first = await session.Runner.SyncChangesAsync(null, ct);
        Assert.NotNull(first);
        Assert.Equal(2, first.Count(ImageOutcome.Published));
        session.TakeRequests();

        // Unchanged (even rewritten with the same text): no pass, not one request.
        h.WriteList($"{registry.Host}/poll/a:1", $"{registry.Host}/poll/b:1");
        Assert.Null(await session.Runner.SyncChangesAsync(null, ct));
        Assert.Empty(session.TakeRequests());

        // One line added, one removed: only those two are touched; the unchanged line is not even resolved.
        h.WriteList($"{registry.Host}/poll/a:1", $"{registry.Host}/poll/c:1");
        var changed = await session.Runner.SyncChangesAsync(null, ct);
        Assert.NotNull(changed);
        Assert.Equal(
            [("poll/b:1", ImageOutcome.Removed), ("poll/c:1", ImageOutcome.Published)],
            changed.Results.Select(r => (r.TagPath!, r.Outcome)).Order());
        Assert.Equal(1, session.TakeRequests()["HEAD"]);
        Assert.Equal("c\n", h.ReadFromImage("poll/c:1", "etc/hello"));
        Assert.Equal("a\n", h.ReadFromImage("poll/a:1", "etc/hello"));
        Assert.Null(h.ImageOf("poll/b:1"));
    }

    [Fact]
    public async Task Docker_hub_lines_sync_offline_through_a_registry_mirror()
    {
        var registry = fixture.Registry;
        var ct = TestContext.Current.CancellationToken;
        using var client = new RegistryClient(new RegistryClientOptions());
        await Image("mirrored\n").PushAsync(client, $"{registry.Host}/library/mirrored:3", ct);
        await Image("org\n").PushAsync(client, $"{registry.Host}/someorg/tool:1", ct);
        using var h = new SyncHarness();
        h.WriteList("mirrored:3", "docker.io/someorg/tool:1");

        // The README's second command: the same list, Docker Hub served by a local registry (no internet here).
        var (exit, output, error) = await h.RunCliAsync("sync --once", "--registry-mirror", $"docker.io=http://{registry.Host}");

        Assert.True(exit == ExitCodes.Success, $"exit {exit}\n{output}\n{error}");
        Assert.Equal("mirrored\n", h.ReadFromImage("library/mirrored:3", "etc/hello"));
        Assert.Equal("org\n", h.ReadFromImage("someorg/tool:1", "etc/hello"));
    }

    [Fact]
    public async Task A_new_index_around_an_already_published_platform_image_only_updates_metadata()
    {
        var registry = fixture.Registry;
        var ct = TestContext.Current.CancellationToken;
        using var client = new RegistryClient(new RegistryClientOptions());
        var amd = Platform.LinuxAmd64;
        await Image("multi\n").WithPlatforms(amd, Platform.Parse("linux/arm64")).PushAsync(client, $"{registry.Host}/team/multi:1", ct);
        using var h = new SyncHarness();
        h.WriteList($"{registry.Host}/team/multi:1");
        var (first, _) = await h.SyncAsync();
        Assert.Equal(ImageOutcome.Published, Assert.Single(first.Results).Outcome);
        var image = h.ImageOf("team/multi:1");

        // Same amd64 image, a different arm64 one: the index digest changes, the amd64 manifest does not.
        await Image("multi\n").WithPlatforms(amd, Platform.Parse("linux/arm64/v8")).PushAsync(client, $"{registry.Host}/team/multi:1", ct);
        var (second, _) = await h.SyncAsync();

        var result = Assert.Single(second.Results);
        Assert.Equal(ImageOutcome.Updated, result.Outcome);
        Assert.Equal(0, second.BytesPulled);
        Assert.Equal(image, h.ImageOf("team/multi:1"));

        // And now the new index digest is a source of the image: the next pass is one HEAD.
        var (third, requests) = await h.SyncAsync();
        Assert.Equal(ImageOutcome.Current, Assert.Single(third.Results).Outcome);
        Assert.Equal(new Dictionary<string, int> { ["HEAD"] = 1 }, requests);
    }

    [Fact]
    public async Task A_glob_is_expanded_from_the_full_tag_list_with_a_cap_and_a_warning()
    {
        var registry = fixture.Registry;
        var ct = TestContext.Current.CancellationToken;
        using var client = new RegistryClient(new RegistryClientOptions());
        var built = Image("glob\n").Build();
        foreach (var tag in new[] { "1.8", "1.9", "1.10", "2.0" })
        {
            await TestImage.PushBuiltAsync(client, Registry.Names.ImageReference.Parse($"{registry.Host}/team/globbed:{tag}"), built, ct);
        }

        using var h = new SyncHarness();
        h.WriteList($"{registry.Host}/team/globbed:1.*");
        var (report, _) = await h.SyncAsync("Sync:MaxTagsPerGlob=2");

        Assert.True(report.Succeeded);
        Assert.Equal(["team/globbed:1.10", "team/globbed:1.9"], report.Results.Select(r => r.TagPath!).Order(StringComparer.Ordinal));
        Assert.Contains(report.Warnings, w => w.Contains("matches 3 tags", StringComparison.Ordinal));
        Assert.NotNull(h.ImageOf("team/globbed:1.10"));
        Assert.Null(h.ImageOf("team/globbed:1.8"));
    }

    [Fact]
    public async Task Observers_hear_of_each_published_and_failed_image_with_its_list_line()
    {
        var registry = fixture.Registry;
        var ct = TestContext.Current.CancellationToken;
        using var client = new RegistryClient(new RegistryClientOptions());
        await Image("notice\n").PushAsync(client, $"{registry.Host}/team/noticed:1", ct);
        using var h = new SyncHarness();
        h.WriteList("# notices", $"{registry.Host}/team/noticed:1   # wanted", "127.0.0.1:9/team/absent:1");
        var observer = new RecordingObserver();

        var (report, _) = await h.SyncAsync(observer);

        Assert.False(report.Succeeded);
        var published = Assert.Single(observer.Published);
        Assert.Equal(2, published.LineNumber);
        Assert.Equal($"{registry.Host}/team/noticed:1", published.ListLine);
        Assert.Equal(Path.Combine(h.Root, "team/noticed:1"), published.CvmfsPath);
        Assert.StartsWith("sha256:", published.ManifestDigest, StringComparison.Ordinal);
        Assert.True(published.Size > 0);
        var failed = Assert.Single(observer.Failed);
        Assert.Equal(3, failed.LineNumber);
        Assert.Equal("127.0.0.1:9/team/absent:1", failed.Reference);
        Assert.False(string.IsNullOrWhiteSpace(failed.Reason));

        // A second pass publishes nothing new, so it announces nothing new.
        var again = new RecordingObserver();
        _ = await h.SyncAsync(again);
        Assert.Empty(again.Published);
        Assert.Single(again.Failed);
    }
}
