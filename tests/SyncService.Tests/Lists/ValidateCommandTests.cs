using CvmfsImages.Sync.CommandLine;
using CvmfsImages.Tests.SyncService.EndToEnd;
using Xunit;

namespace CvmfsImages.Tests.SyncService.Lists;

public sealed class ValidateCommandTests
{
    [Fact]
    public async Task A_valid_list_passes_offline()
    {
        using var h = new SyncHarness();
        h.WriteList("# ok", "python:3.12", "ghcr.io/org/tool:v1.*", "quay.io/org/img@sha256:" + new string('b', 64));
        var (exit, output, error) = await h.RunCliAsync("validate --offline " + h.ListPath);
        Assert.True(exit == ExitCodes.Success, $"exit {exit}\n{output}\n{error}");
        Assert.Contains("3 images, 0 problems (offline)", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Every_problem_is_reported_with_file_and_line_and_exit_3()
    {
        using var h = new SyncHarness();
        h.WriteList("python:3.12", "Bad Line", "ubuntu:24.04", "docker.io/library/python:3.12", "docker.io/org/x:1", "ghcr.io/org/x:1");
        var (exit, output, error) = await h.RunCliAsync("validate --offline " + h.ListPath);

        Assert.True(exit == ExitCodes.ListInvalid, $"exit {exit}\n{output}\n{error}");
        Assert.Contains($"{h.ListPath}:2: ", error, StringComparison.Ordinal);
        Assert.Contains($"{h.ListPath}:4: ", error, StringComparison.Ordinal);
        Assert.Contains("line 1", error, StringComparison.Ordinal);
        Assert.Contains($"{h.ListPath}:6: ", error, StringComparison.Ordinal);
        Assert.Contains("line 5", error, StringComparison.Ordinal);
        Assert.DoesNotContain($"{h.ListPath}:1: ", error, StringComparison.Ordinal);
        Assert.DoesNotContain($"{h.ListPath}:3: ", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_missing_list_exits_3_naming_it()
    {
        using var h = new SyncHarness();
        var missing = h.Combine("nope.txt");
        var (exit, _, error) = await h.RunCliAsync("validate --offline " + missing);
        Assert.Equal(ExitCodes.ListInvalid, exit);
        Assert.Contains(missing, error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Online_an_unreachable_registry_fails_its_line_only()
    {
        using var h = new SyncHarness();
        h.WriteList("# unreachable registries", "127.0.0.1:9/team/app:1", "127.0.0.1:9/team/glob:v*");
        var (exit, output, error) = await h.RunCliAsync("validate " + h.ListPath);

        Assert.True(exit == ExitCodes.ImagesFailed, $"exit {exit}\n{output}\n{error}");
        Assert.Contains($"{h.ListPath}:2: '127.0.0.1:9/team/app:1' does not resolve", error, StringComparison.Ordinal);
        Assert.Contains($"{h.ListPath}:3: ", error, StringComparison.Ordinal);
        Assert.Contains("2 not resolvable", output, StringComparison.Ordinal);
    }
}
