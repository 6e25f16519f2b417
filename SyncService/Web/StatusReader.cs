using CvmfsImages.Publisher.Publishing;
using CvmfsImages.Sync.Configuration;
using CvmfsImages.Sync.Execution;
using CvmfsImages.Sync.Hosting;
using CvmfsImages.Sync.Lists;
using CvmfsImages.Sync.Status;
using CvmfsImages.Sync.Web.Api;

namespace CvmfsImages.Sync.Web;

/// <summary>
/// Puts together what the status page and the JSON API show: what the repository says is published (the source of
/// truth, read at most every <see cref="StateMaxAge"/> and again after each pass), the last results and failures
/// from the state directory, the list as last read, the running pass and the schedules. Reads only; never takes the
/// repository gate, so a running pass does not block the page.
/// </summary>
internal sealed class StatusReader(
    CvmfsRepository repository,
    StatusStore store,
    SyncRunner runner,
    PassTracker tracker,
    ListReadWatch list,
    ScheduleInfo schedules,
    SyncSettings settings,
    PullRequestLinks links,
    TimeProvider time) : IDisposable
{
    /// <summary>The schema version of every API answer.</summary>
    public const int SchemaVersion = 1;

    /// <summary>How long a read of the repository's state is reused.</summary>
    public static readonly TimeSpan StateMaxAge = TimeSpan.FromSeconds(5);

    private readonly SemaphoreSlim _stateGate = new(1, 1);
    private (PublishedState State, DateTimeOffset At, long Passes)? _cached;

    public string Repository => SyncServices.PublishedRoot(settings.Publisher);

    public void Dispose() => _stateGate.Dispose();

    public async Task<ApiStatus> StatusAsync(CancellationToken ct)
    {
        var view = await ReadAsync(ct).ConfigureAwait(false);
        var images = view.Images;
        var unreferenced = await UnreferencedAsync(view.State, ct).ConfigureAwait(false);
        var schedule = new List<ApiSchedule>();
        foreach (var job in ScheduleInfo.Jobs)
        {
            schedule.Add(new ApiSchedule(job, await schedules.NextRunAsync(job, ct).ConfigureAwait(false)));
        }

        var read = list.State;
        var status = view.Status;
        return new ApiStatus(
            SchemaVersion,
            time.GetUtcNow(),
            Repository,
            new ApiList(settings.Sync.List, read.LastAttempt, read.LastSuccess, read.LastError, read.Version),
            Pass(tracker.Current()),
            tracker.PassesEnded,
            schedule,
            new ApiCounts(
                view.State.Tags.Count,
                images.Count(i => i.State == "waiting"),
                images.Count(i => i.State == "failing"),
                unreferenced.Count),
            [.. status.Passes.Select(p => new ApiPassSummary(p.List, p.Scope, p.StartedAt, p.DurationSeconds, p.Succeeded, p.Current, p.Published, p.Updated, p.Removed, p.Failed, p.BytesPulled))],
            status.Problems,
            status.Warnings,
            [.. images.Where(i => i.State == "failing")],
            [.. images.Where(i => i.State == "waiting")],
            unreferenced);
    }

    public async Task<ApiImages> ImagesAsync(CancellationToken ct)
    {
        var view = await ReadAsync(ct).ConfigureAwait(false);
        return new ApiImages(SchemaVersion, time.GetUtcNow(), Repository, view.Images);
    }

    /// <summary>One tag (or one waiting or failing line, by its key), or null.</summary>
    public async Task<ApiImage?> ImageAsync(string path, CancellationToken ct)
    {
        var view = await ReadAsync(ct).ConfigureAwait(false);
        return view.Images.FirstOrDefault(i => i.Path == path);
    }

    private static ApiPass? Pass(PassSnapshot? pass) => pass is null
        ? null
        : new ApiPass(
            pass.Job,
            pass.StartedAt,
            pass.Total,
            pass.Done,
            pass.Total == 0 ? 0 : (int)Math.Floor(100.0 * pass.Done / pass.Total),
            pass.Stages.ToDictionary(s => Lower(s.Key), s => s.Value, StringComparer.Ordinal),
            [.. pass.Active.Select(a => new ApiActive(a.Reference, a.TagPath, Lower(a.Stage), a.Detail))]);

    private static string Lower(ImageStage stage) => stage.ToString().ToLowerInvariant();

    private async Task<View> ReadAsync(CancellationToken ct)
    {
        var state = await StateAsync(ct).ConfigureAwait(false);
        var status = await store.ReadAsync(ct).ConfigureAwait(false);
        var nextRetry = await schedules.NextRunAsync(FullResyncJob.JobName, ct).ConfigureAwait(false);
        var entries = runner.CurrentList?.Entries ?? [];
        var byLine = entries.GroupBy(e => e.LineNumber).ToDictionary(g => g.Key, g => g.First());
        var images = new List<ApiImage>();

        foreach (var (path, config) in state.Tags.OrderBy(t => t.Key, StringComparer.Ordinal))
        {
            var metadata = state.Images.GetValueOrDefault(config);
            var last = status.Images.GetValueOrDefault(path);
            var entry = last is not null ? byLine.GetValueOrDefault(last.LineNumber) : null;
            var stage = tracker.StageOf(path);
            var failing = last?.Outcome == ImageOutcome.Failed;
            var kind = stage is { Stage: ImageStage.Pulling or ImageStage.Flattening or ImageStage.Publishing } ? "updating" : failing ? "failing" : "published";
            images.Add(new ApiImage(
                path,
                Published(path),
                kind,
                stage is null ? null : Lower(stage.Stage),
                metadata?.ManifestDigest,
                config,
                metadata?.Platform,
                metadata?.Size,
                metadata?.Files,
                metadata?.PublishedAt,
                metadata?.Sources ?? [],
                entry is null ? null : new ApiLine(entry.LineNumber, entry.Text),
                last?.Outcome.ToString().ToLowerInvariant(),
                last?.Detail,
                failing ? status.FailingSince.GetValueOrDefault(path) : null,
                failing ? nextRetry : null,
                entry is null ? null : links.Find(entry.Text)));
        }

        // Failures with no published path: a new line that never worked, or one that never got a path.
        foreach (var (key, result) in status.Images.Where(i => i.Value.Outcome == ImageOutcome.Failed && !state.Tags.ContainsKey(i.Key)).OrderBy(i => i.Key, StringComparer.Ordinal))
        {
            var entry = byLine.GetValueOrDefault(result.LineNumber);
            images.Add(new ApiImage(
                key, null, "failing", tracker.StageOf(key) is { } s ? Lower(s.Stage) : null, result.ManifestDigest, null, result.Platform, null, null, null,
                [result.Reference], entry is null ? new ApiLine(result.LineNumber, result.Reference) : new ApiLine(entry.LineNumber, entry.Text),
                "failed", result.Detail, status.FailingSince.GetValueOrDefault(key), nextRetry, entry is null ? null : links.Find(entry.Text)));
        }

        // Listed, not published, not failing: waiting for the next pass (or being worked on by the running one).
        var style = settings.Publisher.PathStyle;
        var known = images.Select(i => i.Path).ToHashSet(StringComparer.Ordinal);
        foreach (var entry in entries.Where(e => !e.IsGlob))
        {
            var path = ListChecks.PathOf(entry, style);
            if (path is null || known.Contains(path) || known.Contains(entry.Reference.ToString()))
            {
                continue;
            }

            var stage = tracker.StageOf(path);
            images.Add(new ApiImage(
                path, null, "waiting", stage is null ? null : Lower(stage.Stage), null, null, null, null, null, null,
                [entry.Reference.ToString()], new ApiLine(entry.LineNumber, entry.Text), null, null, null, null, links.Find(entry.Text)));
            known.Add(path);
        }

        return new View(state, status, images);
    }

    private async Task<List<ApiUnreferenced>> UnreferencedAsync(PublishedState state, CancellationToken ct)
    {
        var referenced = state.Tags.Values.ToHashSet(StringComparer.Ordinal);
        var grace = settings.Publisher.GcGracePeriod;
        var result = new List<ApiUnreferenced>();
        foreach (var (digest, metadata) in state.Images.Where(i => !referenced.Contains(i.Key)).OrderBy(i => i.Value.UnreferencedSince ?? DateTimeOffset.MaxValue))
        {
            DateTimeOffset? removable = metadata.UnreferencedSince is { } since ? since + grace : null;
            var removal = removable is { } at
                ? await schedules.RunAtOrAfterAsync(GcJob.JobName, at, ct).ConfigureAwait(false)
                : null;
            result.Add(new ApiUnreferenced(digest, metadata.ManifestDigest, metadata.Platform, metadata.Sources, metadata.Size, metadata.Files,
                metadata.PublishedAt, metadata.UnreferencedSince, removable, removal));
        }

        return result;
    }

    private string Published(string tagPath)
    {
        var root = Repository;
        return root.Length == 0 ? tagPath : root.TrimEnd('/') + "/" + tagPath;
    }

    private async Task<PublishedState> StateAsync(CancellationToken ct)
    {
        await _stateGate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            var now = time.GetUtcNow();
            var passes = tracker.PassesEnded;
            if (_cached is { } c && now - c.At < StateMaxAge && c.Passes == passes)
            {
                return c.State;
            }

            var state = await repository.ReadStateAsync(ct).ConfigureAwait(false);
            _cached = (state, now, passes);
            return state;
        }
        finally
        {
            _stateGate.Release();
        }
    }

    private sealed record View(PublishedState State, SyncStatus Status, List<ApiImage> Images);
}
