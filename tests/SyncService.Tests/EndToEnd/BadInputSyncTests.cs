using System.Net;
using CvmfsImages.Registry;
using CvmfsImages.Sync.CommandLine;
using CvmfsImages.Sync.Execution;
using CvmfsImages.TestSupport;
using CvmfsImages.TestSupport.Images;
using Xunit;

namespace CvmfsImages.Tests.SyncService.EndToEnd;

/// <summary>
/// A sync over bad input on real parts: unreachable and unknown registries, a repository the registry does not have,
/// malformed lines. Each bad line fails alone with a reason naming it; the good lines are still published.
/// </summary>
public sealed class BadInputSyncTests(RegistryFixture fixture) : IClassFixture<RegistryFixture>
{
    [Fact]
    public async Task Unreachable_and_unknown_registries_fail_alone_and_a_registry_that_did_not_answer_is_not_asked_again()
    {
        var registry = fixture.Registry;
        var ct = TestContext.Current.CancellationToken;
        using var client = new RegistryClient(new RegistryClientOptions());
        await TestImage.Create().WithLayer(TestFile.Text("etc/hello", "good\n")).PushAsync(client, $"{registry.Host}/bad/good:1", ct);
        using var h = new SyncHarness();
        h.WriteList(
            "127.0.0.1:9/down/glob:v*",         // 1: globs are expanded first; nothing listens on port 9
            "127.0.0.1:9/down/one:1",           // 2
            "127.0.0.1:9/down/two:1",           // 3
            "nosuch.invalid/team/app:1",        // 4: a registry whose name does not resolve
            $"{registry.Host}/bad/missing:1",   // 5: the registry answers 404: an answer, so it stays asked
            $"{registry.Host}/bad/good:1");     // 6

        // One resolve at a time: the order of requests, and so which line finds port 9 down, is fixed.
        var (report, _) = await h.SyncAsync("Sync:MaxConcurrentResolves=1");

        var byLine = report.Results.ToDictionary(r => r.LineNumber);
        Assert.Equal(ImageOutcome.Failed, byLine[1].Outcome);
        Assert.Contains("127.0.0.1:9", byLine[1].Detail, StringComparison.Ordinal);
        foreach (var line in new[] { 2, 3 })
        {
            Assert.Equal(ImageOutcome.Failed, byLine[line].Outcome);
            Assert.Contains("registry 127.0.0.1:9 did not answer earlier in this pass (line 1:", byLine[line].Detail, StringComparison.Ordinal);
        }

        Assert.Equal(ImageOutcome.Failed, byLine[4].Outcome);
        Assert.Contains("nosuch.invalid", byLine[4].Detail, StringComparison.Ordinal);
        Assert.DoesNotContain("earlier in this pass", byLine[4].Detail, StringComparison.Ordinal);
        Assert.Equal(ImageOutcome.Failed, byLine[5].Outcome);
        Assert.Contains("bad/missing", byLine[5].Detail, StringComparison.Ordinal);
        Assert.DoesNotContain("earlier in this pass", byLine[5].Detail, StringComparison.Ordinal);
        Assert.Equal(ImageOutcome.Published, byLine[6].Outcome);
        Assert.Equal("good\n", h.ReadFromImage("bad/good:1", "etc/hello"));
        Assert.Equal(6, report.Results.Count);
        Assert.False(Directory.Exists(Path.Combine(h.Root, "down")));
        Assert.False(Directory.Exists(Path.Combine(h.Root, "team")));
        Assert.DoesNotContain(Directory.EnumerateFileSystemEntries(Path.Combine(h.Root, ".staging")), Directory.Exists); // no staged tree left
    }

    [Fact]
    public async Task Malformed_lines_are_reported_with_their_numbers_the_rest_is_synced_and_nothing_unlisted_is_removed()
    {
        var registry = fixture.Registry;
        var ct = TestContext.Current.CancellationToken;
        using var client = new RegistryClient(new RegistryClientOptions());
        await TestImage.Create().WithLayer(TestFile.Text("etc/hello", "kept\n")).PushAsync(client, $"{registry.Host}/bad/kept:1", ct);
        await TestImage.Create().WithLayer(TestFile.Text("etc/hello", "new\n")).PushAsync(client, $"{registry.Host}/bad/new:1", ct);
        using var h = new SyncHarness();
        h.WriteList($"{registry.Host}/bad/kept:1");
        var (first, _) = await h.SyncAsync();
        Assert.True(first.Succeeded);

        // kept:1 is no longer listed, but the list is broken: a half-edited list must not unpublish anything.
        h.WriteList("# edited", "Not A Reference", $"{registry.Host}/bad/new:1", "python:3.*@sha256:" + new string('a', 64));
        var (exit, output, error) = await h.RunCliAsync("sync --once");

        Assert.True(exit == ExitCodes.ListInvalid, $"exit {exit}\n{output}\n{error}");
        Assert.Contains($"{h.ListPath}:2:", output, StringComparison.Ordinal);
        Assert.Contains($"{h.ListPath}:4:", output, StringComparison.Ordinal);
        Assert.Contains("unlisted paths are kept until it is fixed", output, StringComparison.Ordinal);
        Assert.Equal("new\n", h.ReadFromImage("bad/new:1", "etc/hello"));
        Assert.Equal("kept\n", h.ReadFromImage("bad/kept:1", "etc/hello"));

        // Fixed: now the unlisted path goes.
        h.WriteList($"{registry.Host}/bad/new:1");
        (exit, output, error) = await h.RunCliAsync("sync --once");
        Assert.True(exit == ExitCodes.Success, $"exit {exit}\n{output}\n{error}");
        Assert.Null(h.ImageOf("bad/kept:1"));
    }

    [Theory]
    [InlineData(null, HttpRequestError.NameResolutionError, true)]
    [InlineData(null, HttpRequestError.ConnectionError, true)]
    [InlineData(null, HttpRequestError.SecureConnectionError, false)]      // it answered, in a way we refuse
    [InlineData(HttpStatusCode.ServiceUnavailable, HttpRequestError.Unknown, false)]
    [InlineData(HttpStatusCode.NotFound, HttpRequestError.Unknown, false)]
    public void Only_a_registry_that_gave_no_response_is_unreachable(HttpStatusCode? status, HttpRequestError error, bool unreachable)
    {
        var ex = new RegistryException("HEAD r/v2/x/manifests/1: failed", "r/x:1", status, isTransient: true,
            innerException: status is null ? new HttpRequestException(error, "network") : null);
        Assert.Equal(unreachable, UnreachableRegistries.IsUnreachable(ex));
    }
}
