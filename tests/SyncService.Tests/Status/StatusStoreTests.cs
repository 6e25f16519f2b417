using Xunit;
using CvmfsImages.Sync.Execution;
using CvmfsImages.Sync.Status;
using CvmfsImages.TestSupport;

namespace CvmfsImages.Tests.SyncService.Status;

/// <summary>
/// What a pass leaves in status.json: a full pass replaces every image result (its read skips the old ones), a
/// partial pass merges into them; a failing key keeps the time of its first failure; passes and job runs are kept.
/// </summary>
public sealed class StatusStoreTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static readonly DateTimeOffset T0 = new(2026, 12, 3, 10, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task A_full_pass_replaces_the_results_a_partial_pass_merges_and_failures_keep_their_first_time()
    {
        using var temp = new TempDirectory("status");
        using var store = new StatusStore(temp.Path);
        await store.RecordJobRunAsync("gc", T0, Ct);
        await store.RecordAsync(Report(T0, Result("org/a:1", ImageOutcome.Failed), Result("org/b:1", ImageOutcome.Current), Result("org/c:1", ImageOutcome.Current)), "full", Ct);
        await store.RecordAsync(Report(T0.AddHours(1), Result("org/a:1", ImageOutcome.Failed), Result("org/d:1", ImageOutcome.Published)), "changed", Ct);

        var merged = await store.ReadAsync(Ct);
        Assert.Equal(["org/a:1", "org/b:1", "org/c:1", "org/d:1"], merged.Images.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(T0, merged.FailingSince["org/a:1"]); // the first failure, not the second

        await store.RecordAsync(Report(T0.AddHours(2), Result("org/a:1", ImageOutcome.Failed), Result("org/b:1", ImageOutcome.Current)), "full", Ct);

        var replaced = await store.ReadAsync(Ct);
        Assert.Equal(["org/a:1", "org/b:1"], replaced.Images.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(ImageOutcome.Current, replaced.Images["org/b:1"].Outcome);
        Assert.Equal(T0, replaced.FailingSince["org/a:1"]);
        Assert.Equal(["full", "changed", "full"], replaced.Passes.Select(p => p.Scope));
        Assert.Equal(T0, replaced.JobRuns["gc"]);
        Assert.Equal(1, replaced.LastSync!.Failed);

        await store.RecordAsync(Report(T0.AddHours(3), Result("org/b:1", ImageOutcome.Current)), "full", Ct);

        var recovered = await store.ReadAsync(Ct);
        Assert.Equal(["org/b:1"], recovered.Images.Keys);
        Assert.Empty(recovered.FailingSince); // a key no longer listed is forgotten
    }

    private static ImageResult Result(string tagPath, ImageOutcome outcome) =>
        new(1, "example.org/" + tagPath, tagPath, "linux/amd64", outcome, outcome == ImageOutcome.Failed ? "registry unreachable" : null);

    private static SyncReport Report(DateTimeOffset startedAt, params ImageResult[] results) =>
        new("list.txt", results, [], [], startedAt, TimeSpan.FromSeconds(1));
}
