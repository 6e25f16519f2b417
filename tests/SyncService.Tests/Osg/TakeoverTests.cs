using System.Text.Json;
using System.Text.RegularExpressions;
using CvmfsImages.Registry;
using CvmfsImages.Sync.CommandLine;
using CvmfsImages.Sync.Execution;
using CvmfsImages.TestSupport;
using CvmfsImages.TestSupport.Images;
using CvmfsImages.TestSupport.Osg;
using CvmfsImages.Tests.SyncService.EndToEnd;
using Xunit;

namespace CvmfsImages.Tests.SyncService.Osg;

/// <summary>
/// Taking over a repository OSG's cvmfs-singularity-sync built (TestSupport's <see cref="OsgRepository"/>, its hash
/// rule over the manifests the test registry serves): adoption in place with no blob read, no tag ever dangling, OSG's
/// clock honoured by GC; in the directory backend and through the cvmfs_server stand-in.
/// </summary>
public sealed partial class TakeoverTests(AccessLoggedRegistryFixture fixture) : IClassFixture<AccessLoggedRegistryFixture>
{
    public static TheoryData<string> Backends => ["directory", "cvmfs_server"];

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [MemberData(nameof(Backends))]
    public async Task A_repository_osg_built_is_adopted_in_place_with_no_blob_read_and_no_tag_dangling(string backend)
    {
        var registry = fixture.Registry;
        var ns = "takeover-" + backend.Replace("_", "", StringComparison.Ordinal);
        using var client = new RegistryClient(new RegistryClientOptions());
        var app = await Image("app").PushAsync(client, $"{registry.Host}/{ns}/app:1", Ct);
        var multi = await Image("multi").WithPlatforms(Platform.LinuxAmd64, Platform.Parse("linux/arm64/v8")).PushAsync(client, $"{registry.Host}/{ns}/multi:1", Ct);
        var before = await Image("changed-before").PushAsync(client, $"{registry.Host}/{ns}/changed:1", Ct);
        var gone = Image("gone").Build();
        var recent = Image("recent").Build();
        var old = Image("old").Build();

        using var standIn = backend == "cvmfs_server" ? new StandInRepository() : null;
        using var h = new SyncHarness { PublisherSettings = standIn?.Settings };
        var root = standIn?.Tree ?? h.Root;
        OsgImage appDir = null!, multiDir = null!, beforeDir = null!, recentDir = null!, oldDir = null!, goneDir = null!;
        OsgRepository osg = null!;
        await InTransactionAsync(standIn, async () =>
        {
            osg = new OsgRepository(root);
            appDir = await osg.AddImageAsync(app, $"{registry.Host}/{ns}/app:1", cancellationToken: Ct);
            multiDir = await osg.AddImageAsync(multi, $"{registry.Host}/{ns}/multi:1", cancellationToken: Ct);
            beforeDir = await osg.AddImageAsync(before, $"{registry.Host}/{ns}/changed:1", cancellationToken: Ct);
            goneDir = await osg.AddImageAsync(gone, $"{registry.Host}/{ns}/unlisted:1", cancellationToken: Ct);
            osg.LinkTag($"{ns}/app:old", appDir);
            recentDir = await osg.AddUnlinkedImageAsync(recent, cancellationToken: Ct);
            oldDir = await osg.AddUnlinkedImageAsync(old, cancellationToken: Ct);
            osg.AddMissingLink(recentDir, DateTimeOffset.UtcNow - TimeSpan.FromHours(1));
            osg.AddMissingLink(oldDir, DateTimeOffset.UtcNow - TimeSpan.FromDays(3));
        });

        // Upstream moved one image since OSG's last run; the rest are what OSG built.
        await Image("changed-after").PushAsync(client, $"{registry.Host}/{ns}/changed:1", Ct);
        h.WriteList($"{registry.Host}/{ns}/app:1", $"{registry.Host}/{ns}/multi:1", $"{registry.Host}/{ns}/changed:1");
        var listed = new[] { $"{ns}/app:1", $"{ns}/multi:1", $"{ns}/changed:1" };
        AssertEveryTagResolves(root, listed);

        // status reads OSG's layout: its tags, its directories and their GC dates.
        var (_, statusOutput, _) = await h.RunCliAsync("status");
        Assert.Contains(appDir.RelativeDirectory, statusOutput, StringComparison.Ordinal);
        Assert.Contains("OSG's, not adopted", statusOutput, StringComparison.Ordinal);
        Assert.Contains("6 image directories without metadata of ours", statusOutput, StringComparison.Ordinal);
        Assert.Contains($"{oldDir.RelativeDirectory}: unreferenced since", statusOutput, StringComparison.Ordinal);

        // The dry run: manifests only, nothing written.
        var logDry = registry.Log.Length;
        var (dryExit, dryOutput, dryError) = await h.RunCliAsync("migrate", "--dry-run", "--json");
        Assert.True(dryExit == 0, dryOutput + dryError);
        using (var dry = JsonDocument.Parse(dryOutput))
        {
            var planned = dry.RootElement.GetProperty("tags").EnumerateArray().ToDictionary(t => t.GetProperty("path").GetString()!, t => t);
            Assert.Equal("adopt", planned[$"{ns}/app:1"].GetProperty("action").GetString());
            Assert.Equal(appDir.RelativeDirectory, planned[$"{ns}/app:1"].GetProperty("imageDirectory").GetString());
            Assert.Equal("adopt", planned[$"{ns}/multi:1"].GetProperty("action").GetString());
            Assert.Equal("republish", planned[$"{ns}/changed:1"].GetProperty("action").GetString());
            Assert.StartsWith("digest moved upstream", planned[$"{ns}/changed:1"].GetProperty("detail").GetString(), StringComparison.Ordinal);
            Assert.Equal("unlink", planned[$"{ns}/app:old"].GetProperty("action").GetString());
            Assert.Equal("unlink", planned[$"{ns}/unlisted:1"].GetProperty("action").GetString());
            Assert.True(dry.RootElement.GetProperty("bytesToPull").GetInt64() > 0);
            Assert.Equal(dry.RootElement.GetProperty("bytesToPull").GetInt64(), planned[$"{ns}/changed:1"].GetProperty("bytesToPull").GetInt64());
            var dirs = dry.RootElement.GetProperty("foreign").EnumerateArray().ToDictionary(d => d.GetProperty("directory").GetString()!, d => d);
            Assert.Equal("adopted", dirs[appDir.RelativeDirectory].GetProperty("state").GetString());
            Assert.Equal("unreferenced", dirs[beforeDir.RelativeDirectory].GetProperty("state").GetString());
            Assert.Equal("unreferenced", dirs[goneDir.RelativeDirectory].GetProperty("state").GetString());
            Assert.True(dirs[oldDir.RelativeDirectory].GetProperty("removableFrom").GetDateTimeOffset() < DateTimeOffset.UtcNow);
            Assert.True(dirs[recentDir.RelativeDirectory].GetProperty("removableFrom").GetDateTimeOffset() > DateTimeOffset.UtcNow + TimeSpan.FromHours(46), dirs[recentDir.RelativeDirectory].ToString());
        }

        Assert.Equal(0, BlobGets(registry.Log[logDry..], ns));
        Assert.False(File.Exists(Path.Combine(root, appDir.RelativeDirectory + ".json")), "a dry run writes nothing");
        Assert.NotNull(new FileInfo(Path.Combine(root, $"{ns}/app:old")).LinkTarget);
        var logBefore = registry.Log.Length;

        // The takeover unlists 2 of OSG's 5 tags on purpose: more than the mass-removal guard's 10 %.
        var (report, _) = await h.SyncAsync("Sync:AllowMassRemoval=true");

        Assert.True(report.Succeeded, string.Join("\n", report.Results.Select(r => $"{r.TagPath}: {r.Outcome} {r.Detail}")));
        var byPath = report.Results.Where(r => r.TagPath is not null).ToDictionary(r => r.TagPath!);
        var summary = string.Join("\n", report.Results.Select(r => $"{r.TagPath}: {r.Outcome} {r.Detail}"));
        Assert.True(byPath[$"{ns}/app:1"].Outcome == ImageOutcome.Updated, summary);
        Assert.True(byPath[$"{ns}/app:1"].Detail == "adopted in place from " + appDir.RelativeDirectory + " (no download)", summary);
        Assert.True(byPath[$"{ns}/multi:1"].Detail == "adopted in place from " + multiDir.RelativeDirectory + " (no download)", summary);
        Assert.Equal(ImageOutcome.Published, byPath[$"{ns}/changed:1"].Outcome);
        Assert.Equal(ImageOutcome.Removed, byPath[$"{ns}/app:old"].Outcome);
        Assert.Equal(ImageOutcome.Removed, byPath[$"{ns}/unlisted:1"].Outcome);

        // Blob GETs at the registry: none for the adopted images; the changed one was pulled (so the count works).
        var log = registry.Log[logBefore..];
        Assert.Equal(0, BlobGets(log, $"{ns}/app"));
        Assert.Equal(0, BlobGets(log, $"{ns}/multi"));
        Assert.True(BlobGets(log, $"{ns}/changed") >= 2, "the changed image's config and layers were read:\n" + string.Join("\n", log.Split('\n').Where(l => l.Contains("blobs", StringComparison.Ordinal)).Take(3)));

        // Adopted: OSG's links and directories untouched, our metadata beside them; the changed tag repointed.
        Assert.Equal(appDir.LinkTarget, new FileInfo(Path.Combine(root, $"{ns}/app:1")).LinkTarget);
        Assert.Equal(multiDir.LinkTarget, new FileInfo(Path.Combine(root, $"{ns}/multi:1")).LinkTarget);
        Assert.True(File.Exists(Path.Combine(root, appDir.RelativeDirectory + ".json")));
        Assert.True(File.Exists(Path.Combine(root, multiDir.RelativeDirectory + ".json")));
        using (var metadata = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(root, appDir.RelativeDirectory + ".json"))))
        {
            Assert.Equal(appDir.RelativeDirectory, metadata.RootElement.GetProperty("adoptedFrom").GetString());
            Assert.Equal(app.ConfigDigest.ToString(), metadata.RootElement.GetProperty("configDigest").GetString());
            Assert.Equal(app.Digest.ToString(), metadata.RootElement.GetProperty("manifestDigest").GetString());
            Assert.Equal("linux/amd64", metadata.RootElement.GetProperty("platform").GetString());
            Assert.Equal(Directory.EnumerateFileSystemEntries(appDir.LocalDirectory, "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 }).LongCount(), metadata.RootElement.GetProperty("files").GetInt64());
            Assert.True(metadata.RootElement.GetProperty("size").GetInt64() > 0);
        }

        Assert.Equal("changed-after\n", File.ReadAllText(Path.Combine(root, $"{ns}/changed:1", "etc/seed")));
        Assert.Null(new FileInfo(Path.Combine(root, $"{ns}/app:old")).LinkTarget);
        foreach (var kept in new[] { appDir, multiDir, beforeDir, goneDir, recentDir, oldDir })
        {
            Assert.True(Directory.Exists(kept.LocalDirectory), "a sync pass deletes no image: " + kept.RelativeDirectory);
        }

        AssertEveryTagResolves(root, listed);
        Assert.Equal("app\n", File.ReadAllText(Path.Combine(root, $"{ns}/app:1", "etc/seed")));

        // The next pass: everything current, one HEAD each, no manifest or blob read.
        var logSecond = registry.Log.Length;
        var (second, requests) = await h.SyncAsync();
        Assert.All(second.Results, r => Assert.Equal(ImageOutcome.Current, r.Outcome));
        Assert.Equal(3, requests.GetValueOrDefault("HEAD"));
        Assert.Equal(0, requests.GetValueOrDefault("GET"));
        Assert.Equal(0, BlobGets(registry.Log[logSecond..], ns));

        // GC: the dir OSG saw unlinked 3 days ago goes; the one from an hour ago and those unlinked just now stay.
        var (exit, output, error) = await h.RunCliAsync("gc");
        Assert.True(exit == 0, output + error);
        Assert.False(Directory.Exists(oldDir.LocalDirectory), output);
        foreach (var kept in new[] { appDir, multiDir, beforeDir, goneDir, recentDir })
        {
            Assert.True(Directory.Exists(kept.LocalDirectory), "inside its grace period: " + kept.RelativeDirectory);
        }

        var missing = File.ReadAllText(osg.MissingLinksFile);
        Assert.DoesNotContain(oldDir.LinkTarget, missing, StringComparison.Ordinal);
        Assert.Contains(recentDir.LinkTarget, missing, StringComparison.Ordinal);
        Assert.Contains(beforeDir.LinkTarget, missing, StringComparison.Ordinal); // unlinked by this takeover: entered
        Assert.Contains(goneDir.LinkTarget, missing, StringComparison.Ordinal);
        Assert.DoesNotContain(appDir.LinkTarget, missing, StringComparison.Ordinal);
        AssertEveryTagResolves(root, listed);
        AssertNoDanglingLink(root);
    }

    [Fact]
    public async Task Every_listed_tag_resolves_while_a_takeover_pass_is_killed_mid_publish_and_after_the_next()
    {
        var registry = fixture.Registry;
        using var client = new RegistryClient(new RegistryClientOptions());
        var app = await Image("kill-app").PushAsync(client, $"{registry.Host}/kill/app:1", Ct);
        var before = await Image("kill-before").PushAsync(client, $"{registry.Host}/kill/changed:1", Ct);
        using var standIn = new StandInRepository();
        using var h = new SyncHarness { PublisherSettings = standIn.Settings };
        await InTransactionAsync(standIn, async () =>
        {
            var osg = new OsgRepository(standIn.Tree);
            await osg.AddImageAsync(app, $"{registry.Host}/kill/app:1", cancellationToken: Ct);
            await osg.AddImageAsync(before, $"{registry.Host}/kill/changed:1", cancellationToken: Ct);
        });
        await Image("kill-after").PushAsync(client, $"{registry.Host}/kill/changed:1", Ct);
        h.WriteList($"{registry.Host}/kill/app:1", $"{registry.Host}/kill/changed:1");
        string[] listed = ["kill/app:1", "kill/changed:1"];
        AssertEveryTagResolves(standIn.Tree, listed);

        // The pass's first publish (the changed image) is held open; the service is killed there (with cvmfs_server).
        standIn.HoldNextPublish();
        var psi = new System.Diagnostics.ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var arg in (string[])["exec", Path.Combine(AppContext.BaseDirectory, "cvmfs-image-sync.dll"), "sync", "--once", .. h.CommonArgs()])
        {
            psi.ArgumentList.Add(arg);
        }

        using (var sync = System.Diagnostics.Process.Start(psi)!)
        {
            var output = sync.StandardOutput.ReadToEndAsync(Ct);
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(90);
            while (!File.Exists(standIn.HeldFile) && !sync.HasExited && DateTime.UtcNow < deadline)
            {
                await Task.Delay(50, Ct);
            }

            Assert.True(File.Exists(standIn.HeldFile), "the publish was never reached: " + (sync.HasExited ? await output : "still running"));
            AssertEveryTagResolves(standIn.Tree, listed);
            sync.Kill(entireProcessTree: true);
            await sync.WaitForExitAsync(Ct);
        }

        AssertEveryTagResolves(standIn.Tree, listed);
        AssertNoDanglingLink(standIn.Tree);

        // The next run (`migrate`: one sync pass) recovers, aborting what the kill left open, and finishes the takeover.
        var (usage, _, usageError) = await h.RunCliAsync("migrate", "--json");
        Assert.Equal(ExitCodes.Usage, usage);
        Assert.Contains("--json needs --dry-run", usageError, StringComparison.Ordinal);
        var (exit, migrated, error) = await h.RunCliAsync("migrate");
        Assert.True(exit == 0, migrated + error);
        Assert.Contains("migrate: 1 adopted in place", migrated, StringComparison.Ordinal);
        AssertEveryTagResolves(standIn.Tree, listed);
        AssertNoDanglingLink(standIn.Tree);
        Assert.Equal("kill-after\n", File.ReadAllText(Path.Combine(standIn.Tree, "kill/changed:1/etc/seed")));
        var (again, _) = await h.SyncAsync();
        Assert.All(again.Results, r => Assert.Equal(ImageOutcome.Current, r.Outcome));
    }

    [Fact]
    public async Task A_150_tag_glob_publishes_150_and_a_cap_of_10_unpublishes_none()
    {
        var registry = fixture.Registry;
        using var client = new RegistryClient(new RegistryClientOptions());
        var built = Image("many").Build();
        var tags = Enumerable.Range(1, 150).Select(i => $"1.{i}").ToList();
        await TestImage.PushBuiltAsync(client, Registry.Names.ImageReference.Parse($"{registry.Host}/glob/many:{tags[0]}"), built, Ct);
        await Parallel.ForEachAsync(tags.Skip(1), new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = Ct }, async (tag, ct) =>
            await TestImage.PushBuiltAsync(client, Registry.Names.ImageReference.Parse($"{registry.Host}/glob/many:{tag}"), built, ct));

        using var h = new SyncHarness();
        h.WriteList($"{registry.Host}/glob/many:*");
        var (report, _) = await h.SyncAsync();
        Assert.True(report.Succeeded);
        Assert.Equal(150, tags.Count(t => h.ImageOf($"glob/many:{t}") is not null));
        Assert.DoesNotContain(report.Warnings, w => w.Contains("MaxTagsPerGlob", StringComparison.Ordinal));

        var (capped, _) = await h.SyncAsync("Sync:MaxTagsPerGlob=10");

        Assert.True(capped.Succeeded);
        Assert.Equal(150, tags.Count(t => h.ImageOf($"glob/many:{t}") is not null));
        Assert.DoesNotContain(capped.Results, r => r.Outcome == ImageOutcome.Removed);
        Assert.Equal(10, capped.Results.Count);
        Assert.Contains(capped.Warnings, w => w.Contains("matches 150 tags", StringComparison.Ordinal) && w.Contains("140 skipped", StringComparison.Ordinal));
    }

    private static TestImage Image(string seed) =>
        TestImage.Create().WithLayer(TestFile.Dir("etc"), TestFile.Text("etc/seed", seed + "\n")).WithLayer(TestFile.Text("etc/other", seed));

    private static async Task InTransactionAsync(StandInRepository? standIn, Func<Task> build)
    {
        standIn?.Run("transaction", StandInRepository.Name);
        await build();
        standIn?.Run("publish", StandInRepository.Name);
    }

    /// <summary>GETs of blobs of <paramref name="repository"/> (a prefix) in the registry's log: its access log and its "response completed" lines.</summary>
    private static int BlobGets(string log, string repository)
    {
        var access = AccessLogBlobGet().Matches(log).Count(m => m.Groups[1].Value.StartsWith(repository, StringComparison.Ordinal));
        var completed = log.Split('\n').Count(l => l.Contains("response completed", StringComparison.Ordinal) && l.Contains("http.request.method=GET", StringComparison.Ordinal) &&
                                                   l.Contains($"http.request.uri=\"/v2/{repository}", StringComparison.Ordinal) && l.Contains("/blobs/", StringComparison.Ordinal));
        return Math.Max(access, completed);
    }

    private static void AssertEveryTagResolves(string root, IEnumerable<string> tags)
    {
        foreach (var tag in tags)
        {
            Assert.True(File.Exists(Path.Combine(root, tag, "etc/seed")), $"'{tag}' does not resolve to an image");
        }
    }

    private static void AssertNoDanglingLink(string root)
    {
        foreach (var entry in new DirectoryInfo(root).EnumerateFileSystemInfos())
        {
            if (entry.Name.StartsWith('.'))
            {
                continue;
            }

            if (entry.LinkTarget is { } target)
            {
                Assert.True(Directory.Exists(entry.FullName), $"'{entry.FullName}' -> '{target}' dangles");
            }
            else if (entry is DirectoryInfo)
            {
                AssertNoDanglingLink(entry.FullName);
            }
        }
    }

    [GeneratedRegex("\"GET /v2/([^ ]+)/blobs/")]
    private static partial Regex AccessLogBlobGet();
}

/// <summary>A glob over a registry that lists hostile tag names: each is refused alone, the pass goes on.</summary>
public sealed class HostileTagListTests
{
    [Fact]
    public async Task Hostile_tag_names_from_a_registry_are_refused_one_by_one_and_the_pass_goes_on()
    {
        var hostile = new[] { "../../../etc", "a b", "x\u0000y", ".hidden", "-dash", new string('a', 200), "tag/with/slash" };
        var tagList = System.Text.Json.JsonSerializer.Serialize(new Dictionary<string, object> { ["name"] = "hostile/app", ["tags"] = hostile.Prepend("1").ToArray() });
        await using var server = CvmfsImages.TestSupport.Http.FakeHttpServer.Start(r => r.Path switch
        {
            "/v2/" => new CvmfsImages.TestSupport.Http.FakeResponse(200),
            "/v2/hostile/app/tags/list" => CvmfsImages.TestSupport.Http.FakeResponse.Text(200, tagList).With("Content-Type", "application/json"),
            _ => CvmfsImages.TestSupport.Http.FakeResponse.Text(404, """{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]}""").With("Content-Type", "application/json"),
        });
        using var h = new SyncHarness();
        h.WriteList($"{server.Authority}/hostile/app:*");

        var (report, _) = await h.SyncAsync();

        var result = Assert.Single(report.Results);
        Assert.Equal("hostile/app:1", result.TagPath);
        Assert.Equal(ImageOutcome.Failed, result.Outcome); // the registry has no manifest for it: that image fails, alone
        Assert.Equal(5, report.Warnings.Count(w => w.Contains("which is not a valid tag", StringComparison.Ordinal)));
        Assert.Contains(report.Warnings, w => w.Contains("'../../../etc'", StringComparison.Ordinal));
        Assert.Contains(report.Warnings, w => w.Contains("'x\\u0000y'", StringComparison.Ordinal));
        Assert.Contains(report.Warnings, w => w.Contains("2 more invalid tag name(s) skipped", StringComparison.Ordinal));
        Assert.DoesNotContain(Directory.EnumerateFileSystemEntries(h.Root), e => !Path.GetFileName(e).StartsWith('.'));
    }
}
