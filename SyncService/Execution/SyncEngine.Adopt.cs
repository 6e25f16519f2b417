using CvmfsImages.Publisher.Publishing;
using CvmfsImages.Registry;
using CvmfsImages.Sync.Planning;
using Microsoft.Extensions.Logging;

namespace CvmfsImages.Sync.Execution;

/// <summary>Taking over a repository OSG's <c>cvmfs-singularity-sync</c> built: adoption in place.</summary>
internal sealed partial class SyncEngine
{
    /// <summary>
    /// While the repository holds foreign image directories, a target whose top digest is not settled is first
    /// resolved to its manifests only (no blob): a config already published is reused, OSG's directory for it is
    /// adopted; only the rest is resolved in full (config read) for a pull.
    /// </summary>
    private async Task<TargetDecision?> TryWithoutBlobsAsync(FetchManifestDecision fetch, PublishedState published, UnreachableRegistries unreachable, bool manifestsOnly, CancellationToken ct)
    {
        if (published.Foreign.Count == 0 && !manifestsOnly)
        {
            return null;
        }

        var manifests = await unreachable.CallAsync(
            fetch.Target.Reference.Registry,
            fetch.Target.Entry.LineNumber,
            () => _registry.ResolveManifestAsync(fetch.Target.Reference.WithDigest(fetch.TopDigest), fetch.Target.Platform, ct),
            LogUnreachable).ConfigureAwait(false);
        var decided = SyncPlanner.Complete(fetch, manifests, published);
        return decided as ReuseDecision as TargetDecision ?? OsgAdoption.Decide(fetch, manifests, published) ?? (manifestsOnly ? decided : null);
    }

    /// <summary>
    /// Measures OSG's directories to adopt (size, entries) before any transaction opens, a few at a time; one that
    /// cannot be measured is left to the publisher, which measures it in the transaction.
    /// </summary>
    private async Task MeasureAdoptionsAsync(ChangeSet changes, CancellationToken ct)
    {
        var measured = new System.Collections.Concurrent.ConcurrentDictionary<string, (long, long)>(StringComparer.Ordinal);
        await Parallel.ForEachAsync(
            changes.AdoptedKeys.ToList(),
            new ParallelOptions { MaxDegreeOfParallelism = _options.MaxConcurrentPulls, CancellationToken = ct },
            async (key, token) =>
            {
                try
                {
                    measured[key] = await _repository.MeasureImageAsync(key, token).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
                {
                    LogMeasureFailed(_logger, ex, RepositoryLayout.ImageDirectory(key));
                }
            }).ConfigureAwait(false);
        foreach (var (key, (bytes, entries)) in measured)
        {
            changes.Measured(key, bytes, entries);
        }
    }

    /// <summary>
    /// Reports each adopted target (after the final batch): updated, or failed with the publisher's reason. The
    /// failed adoptions come by image key, the errors of the tag moves in the order of the adoptions that move a tag.
    /// </summary>
    private async Task ReportAdoptionsAsync(ChangeSet changes, Dictionary<string, Exception> adoptErrors, List<Exception?> moveErrors, SyncRun run, CancellationToken ct)
    {
        var nextMove = 0;
        foreach (var (adopt, moves) in changes.Adoptions)
        {
            var target = adopt.Target;
            var moveError = moves ? moveErrors[nextMove++] : null;
            var error = adoptErrors.GetValueOrDefault(adopt.ImageKey) ?? moveError;
            if (error is not null)
            {
                Fail(run, target, "adopting failed: " + Reason(error));
                continue;
            }

            var directory = RepositoryLayout.ImageDirectory(adopt.ImageKey);
            var manifest = adopt.Image.ManifestDigest.ToString();
            LogImageAdopted(_logger, target.ReferenceText, target.TagPath, directory);
            run.Add(Result(target, ImageOutcome.Updated, $"adopted in place from {directory} (no download)") with { ManifestDigest = manifest });
            run.Report(target, ImageStage.Updated);
            if (moves)
            {
                await NotifyPublishedAsync(target, manifest, 0, ct).ConfigureAwait(false);
            }
        }
    }

    [LoggerMessage(EventId = 5050, Level = LogLevel.Information, Message = "Adopted {Reference} at {TagPath} in place: {Directory}, built by OSG's cvmfs-singularity-sync, is its image (no download)")]
    private static partial void LogImageAdopted(ILogger logger, string reference, string tagPath, string directory);

    [LoggerMessage(EventId = 5052, Level = LogLevel.Warning, Message = "Could not measure {Directory} before adopting it; the publisher measures it in its transaction")]
    private static partial void LogMeasureFailed(ILogger logger, Exception error, string directory);
}
