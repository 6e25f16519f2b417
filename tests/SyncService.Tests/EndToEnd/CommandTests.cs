using System.Text.Json;
using CvmfsImages.Registry;
using CvmfsImages.Sync.CommandLine;
using CvmfsImages.TestSupport;
using CvmfsImages.TestSupport.Images;
using Xunit;

namespace CvmfsImages.Tests.SyncService.EndToEnd;

/// <summary><c>inspect</c>, <c>unpack</c> and <c>gc</c> through the real command line against the test registry.</summary>
public sealed class CommandTests(RegistryFixture fixture) : IClassFixture<RegistryFixture>
{
    private static readonly Platform Arm64 = Platform.Parse("linux/arm64/v8");

    [Fact]
    public async Task Inspect_shows_the_digest_per_platform_layers_and_config_as_text_and_json()
    {
        var registry = fixture.Registry;
        var ct = TestContext.Current.CancellationToken;
        using var client = new RegistryClient(new RegistryClientOptions());
        var built = await TestImage.Create()
            .WithLayer(TestFile.Text("etc/hello", "inspect\n"))
            .WithEnv("LANG=C.UTF-8").WithEntrypoint("/bin/sh", "-c").WithWorkingDir("/work")
            .WithPlatforms(Platform.LinuxAmd64, Arm64)
            .PushAsync(client, $"{registry.Host}/cmd/inspect:1", ct);
        using var h = new SyncHarness();

        var (exit, output, error) = await h.RunCliAsync("inspect", $"{registry.Host}/cmd/inspect:1", "--platform", "linux/amd64", "--platform", "linux/arm64/v8");
        Assert.True(exit == ExitCodes.Success, $"exit {exit}\n{output}\n{error}");
        Assert.Contains(built.Digest.ToString(), output, StringComparison.Ordinal);
        Assert.Contains(built.Manifests[0].Digest.ToString(), output, StringComparison.Ordinal);
        Assert.Contains(built.Manifests[1].Digest.ToString(), output, StringComparison.Ordinal);
        Assert.Contains("env        LANG=C.UTF-8", output, StringComparison.Ordinal);
        Assert.Contains("workdir    /work", output, StringComparison.Ordinal);

        (exit, output, error) = await h.RunCliAsync("inspect", $"{registry.Host}/cmd/inspect:1", "--json");
        Assert.True(exit == ExitCodes.Success, $"exit {exit}\n{output}\n{error}");
        using var json = JsonDocument.Parse(output);
        Assert.Equal(built.Digest.ToString(), json.RootElement.GetProperty("digest").GetString());
        Assert.Equal(["linux/amd64", "linux/arm64/v8"], json.RootElement.GetProperty("availablePlatforms").EnumerateArray().Select(p => p.GetString()!).Order(StringComparer.Ordinal));
        var amd = Assert.Single(json.RootElement.GetProperty("platforms").EnumerateArray());
        Assert.Equal("linux/amd64", amd.GetProperty("platform").GetString());
        Assert.Equal(built.Manifests[0].Config.Digest.ToString(), amd.GetProperty("configDigest").GetString());
        Assert.Equal(
            built.Manifests[0].Layers.Select(l => (l.Descriptor.Digest.ToString(), l.Descriptor.Size)),
            amd.GetProperty("layers").EnumerateArray().Select(l => (l.GetProperty("digest").GetString()!, l.GetProperty("size").GetInt64())));
        Assert.Equal(["/bin/sh", "-c"], amd.GetProperty("config").GetProperty("entrypoint").EnumerateArray().Select(e => e.GetString()!));

        (exit, output, error) = await h.RunCliAsync("inspect", $"{registry.Host}/cmd/absent:1");
        Assert.True(exit == ExitCodes.ImagesFailed, $"exit {exit}\n{output}\n{error}");
        Assert.Contains($"'{registry.Host}/cmd/absent:1' does not resolve", error, StringComparison.Ordinal);

        (exit, _, error) = await h.RunCliAsync("inspect", "Not A Reference");
        Assert.Equal(ExitCodes.Usage, exit);
        Assert.Contains("Not A Reference", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Unpack_flattens_one_image_into_a_new_directory_and_leaves_nothing_when_it_fails()
    {
        var registry = fixture.Registry;
        var ct = TestContext.Current.CancellationToken;
        using var client = new RegistryClient(new RegistryClientOptions());
        await TestImage.Create()
            .WithLayer(TestFile.Dir("etc"), TestFile.Text("etc/hello", "first\n"), TestFile.Text("etc/gone", "x"))
            .WithLayer(LayerCompression.Zstd, TestFile.Text("etc/hello", "second\n"), TestFile.Whiteout("etc/gone"))
            .PushAsync(client, $"{registry.Host}/cmd/unpack:1", ct);
        using var h = new SyncHarness();
        var target = h.Combine("unpacked");

        var (exit, output, error) = await h.RunCliAsync("unpack", $"{registry.Host}/cmd/unpack:1", target);
        Assert.True(exit == ExitCodes.Success, $"exit {exit}\n{output}\n{error}");
        Assert.Equal("second\n", File.ReadAllText(Path.Combine(target, "etc/hello")));
        Assert.False(File.Exists(Path.Combine(target, "etc/gone")));
        Assert.False(Directory.Exists(h.Root + "/cmd"), "unpack publishes nothing");

        // The directory exists now: refused, untouched.
        (exit, _, error) = await h.RunCliAsync("unpack", $"{registry.Host}/cmd/unpack:1", target);
        Assert.Equal(ExitCodes.Usage, exit);
        Assert.Contains(target, error, StringComparison.Ordinal);
        Assert.Equal("second\n", File.ReadAllText(Path.Combine(target, "etc/hello")));

        // Not in the registry: exit 1, nothing created.
        var absent = h.Combine("absent");
        (exit, _, error) = await h.RunCliAsync("unpack", $"{registry.Host}/cmd/absent:1", absent);
        Assert.Equal(ExitCodes.ImagesFailed, exit);
        Assert.Contains($"{registry.Host}/cmd/absent:1", error, StringComparison.Ordinal);
        Assert.False(Directory.Exists(absent));
    }

    [Fact]
    public async Task Gc_removes_an_image_no_tag_names_after_the_grace_period_and_a_dry_run_changes_nothing()
    {
        var registry = fixture.Registry;
        var ct = TestContext.Current.CancellationToken;
        using var client = new RegistryClient(new RegistryClientOptions());
        await TestImage.Create().WithLayer(TestFile.Text("etc/hello", "gc keep\n")).PushAsync(client, $"{registry.Host}/cmd/keep:1", ct);
        await TestImage.Create().WithLayer(TestFile.Text("etc/hello", "gc drop\n")).PushAsync(client, $"{registry.Host}/cmd/drop:1", ct);
        using var h = new SyncHarness();
        h.WriteList($"{registry.Host}/cmd/keep:1", $"{registry.Host}/cmd/drop:1");
        var (exit, output, error) = await h.RunCliAsync("sync --once");
        Assert.True(exit == ExitCodes.Success, $"exit {exit}\n{output}\n{error}");
        var keep = Path.Combine(h.Root, h.ImageOf("cmd/keep:1")!);
        var drop = Path.Combine(h.Root, h.ImageOf("cmd/drop:1")!);
        var dropDigest = "sha256:" + Path.GetFileName(Path.GetDirectoryName(drop)) + Path.GetFileName(drop);

        h.WriteList($"{registry.Host}/cmd/keep:1");
        (exit, output, error) = await h.RunCliAsync("sync --once");
        Assert.True(exit == ExitCodes.Success, $"exit {exit}\n{output}\n{error}");
        Assert.True(Directory.Exists(drop), "an unreferenced image stays until gc");

        // Within the grace period (the default, 2 days): nothing goes.
        (exit, output, error) = await h.RunCliAsync("gc");
        Assert.True(exit == ExitCodes.Success, $"exit {exit}\n{output}\n{error}");
        Assert.Contains("0 removed", output, StringComparison.Ordinal);
        Assert.True(Directory.Exists(drop));

        (exit, output, error) = await h.RunCliAsync("gc --dry-run", "--set", "Publisher:GcGracePeriod=00:00:00");
        Assert.True(exit == ExitCodes.Success, $"exit {exit}\n{output}\n{error}");
        Assert.Contains("would remove " + dropDigest, output, StringComparison.Ordinal);
        Assert.True(Directory.Exists(drop));

        (exit, output, error) = await h.RunCliAsync("gc", "--set", "Publisher:GcGracePeriod=00:00:00");
        Assert.True(exit == ExitCodes.Success, $"exit {exit}\n{output}\n{error}");
        Assert.Contains("removed " + dropDigest, output, StringComparison.Ordinal);
        Assert.False(Directory.Exists(drop));
        Assert.False(File.Exists(drop + ".json"));
        Assert.True(Directory.Exists(keep));
        Assert.Equal("gc keep\n", h.ReadFromImage("cmd/keep:1", "etc/hello"));
    }
}
