using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using CvmfsImages.Sync.Execution;

namespace CvmfsImages.Sync.Status;

/// <summary>
/// Keeps <see cref="SyncStatus"/> in <c>&lt;StateDirectory&gt;/status.json</c>, written atomically (temp file and
/// rename). A cache for <c>status</c> and the schedules, never the source of truth for what is published.
/// </summary>
internal sealed class StatusStore : IDisposable
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        Converters = { new JsonStringEnumConverter() },
    };

    /// <summary>
    /// The same, reading everything but <see cref="SyncStatus.Images"/> (skipped by the reader): a full pass replaces
    /// them all, and 50,000 of them are most of the file (issue 21).
    /// </summary>
    private static readonly JsonSerializerOptions JsonWithoutImages = new(Json)
    {
        TypeInfoResolver = new DefaultJsonTypeInfoResolver
        {
            Modifiers =
            {
                info =>
                {
                    if (info.Type == typeof(SyncStatus) && info.Properties.FirstOrDefault(p => p.Name == "images") is { } images)
                    {
                        info.Properties.Remove(images);
                    }
                },
            },
        },
    };

    /// <summary>How many recent passes <see cref="SyncStatus.Passes"/> keeps.</summary>
    public const int PassesKept = 20;

    /// <summary>How many problems and warnings of the last pass are kept, and how long each may be.</summary>
    public const int NotesKept = 200;

    public const int NoteLength = 2000;

    private readonly string _path;
    private readonly SemaphoreSlim _gate = new(1, 1);

    public StatusStore(string stateDirectory)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(stateDirectory);
        _path = Path.Combine(stateDirectory, "status.json");
    }

    public string FilePath => _path;

    public void Dispose() => _gate.Dispose();

    /// <summary>The stored status; an empty one when there is none or it cannot be read.</summary>
    public Task<SyncStatus> ReadAsync(CancellationToken ct) => ReadAsync(Json, ct);

    private async Task<SyncStatus> ReadAsync(JsonSerializerOptions options, CancellationToken ct)
    {
        try
        {
            await using var stream = File.OpenRead(_path);
            return await JsonSerializer.DeserializeAsync<SyncStatus>(stream, options, ct).ConfigureAwait(false) ?? new SyncStatus();
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException or JsonException)
        {
            return new SyncStatus();
        }
    }

    /// <summary>
    /// Merges a pass's results: paths it touched get their new result; removed paths are forgotten. A failing key keeps
    /// the time of its first failure until it succeeds; the pass joins the recent passes.
    /// </summary>
    public Task RecordAsync(SyncReport report, string scope, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(report);
        var full = scope == SyncScope.Full.Name;
        return UpdateAsync(
            full ? JsonWithoutImages : Json,
            status =>
            {
                var images = new Dictionary<string, ImageResult>(status.Images, StringComparer.Ordinal);
                var failingSince = new Dictionary<string, DateTimeOffset>(status.FailingSince, StringComparer.Ordinal);
                if (full)
                {
                    images.Clear();
                }

                foreach (var result in report.Results)
                {
                    var key = result.TagPath ?? result.Reference;
                    if (result.Outcome == ImageOutcome.Removed)
                    {
                        images.Remove(key);
                    }
                    else
                    {
                        images[key] = result;
                    }

                    if (result.Outcome == ImageOutcome.Failed)
                    {
                        failingSince.TryAdd(key, report.StartedAt);
                    }
                    else
                    {
                        failingSince.Remove(key);
                    }
                }

                foreach (var gone in failingSince.Keys.Where(k => !images.ContainsKey(k)).ToList())
                {
                    failingSince.Remove(gone);
                }

                var last = new LastSync(report.ListSource, scope, report.StartedAt, report.Duration.TotalSeconds, report.Succeeded,
                    report.Count(ImageOutcome.Current), report.Count(ImageOutcome.Published), report.Count(ImageOutcome.Updated),
                    report.Count(ImageOutcome.Removed), report.Count(ImageOutcome.Failed), report.BytesPulled);
                return status with
                {
                    Images = images,
                    LastSync = last,
                    FailingSince = failingSince,
                    Passes = [last, .. status.Passes.Take(PassesKept - 1)],
                    Problems = Bounded(report.Problems.Select(p => p.ToString())),
                    Warnings = Bounded(report.Warnings),
                };
            },
            ct);
    }

    private static List<string> Bounded(IEnumerable<string> notes) =>
        [.. notes.Take(NotesKept).Select(n => n.Length > NoteLength ? n[..NoteLength] + "…" : n)];

    /// <summary>Records that a scheduled job ran.</summary>
    public Task RecordJobRunAsync(string job, DateTimeOffset at, CancellationToken ct) =>
        UpdateAsync(Json, status => status with { JobRuns = new(status.JobRuns, StringComparer.Ordinal) { [job] = at } }, ct);

    private async Task UpdateAsync(JsonSerializerOptions read, Func<SyncStatus, SyncStatus> change, CancellationToken ct)
    {
        await _gate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            var updated = change(await ReadAsync(read, ct).ConfigureAwait(false));
            Directory.CreateDirectory(Path.GetDirectoryName(_path)!);
            var temp = _path + ".tmp";
            await using (var stream = File.Create(temp))
            {
                await JsonSerializer.SerializeAsync(stream, updated, Json, ct).ConfigureAwait(false);
            }

            File.Move(temp, _path, overwrite: true);
        }
        finally
        {
            _gate.Release();
        }
    }
}
