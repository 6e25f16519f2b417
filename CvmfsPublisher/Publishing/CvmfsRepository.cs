using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace CvmfsImages.Publisher.Publishing;

/// <summary>
/// Publishes images into one repository (a plain directory or a CVMFS repository through <c>cvmfs_server</c>):
/// transactions batched by count, bytes and time, one at a time per repository across processes, atomic tag moves,
/// garbage collection after a grace period recorded in the repository, and recovery after a crash.
/// </summary>
public sealed partial class CvmfsRepository : IAsyncDisposable
{
    private readonly PublisherOptions options;
    private readonly ILogger logger;
    private readonly TimeProvider time;

    public CvmfsRepository(PublisherOptions options, ILoggerFactory? loggerFactory = null, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        this.options = options;
        logger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger<CvmfsRepository>();
        this.time = time ?? TimeProvider.System;
    }

    /// <summary>Aborts a transaction this service left open in a crash and removes stale staging directories.</summary>
    public Task RecoverAsync(CancellationToken ct) => throw new NotImplementedException();

    /// <summary>What is published, read from the repository: tag symlinks and image metadata.</summary>
    public Task<PublishedState> ReadStateAsync(CancellationToken ct) => throw new NotImplementedException();

    /// <summary>A not-yet-existing path in the staging directory for the flattener to create the image tree at.</summary>
    public string CreateStagingPath(string configDigest) => throw new NotImplementedException();

    /// <summary>Applies the changes in transactions; a failed transaction is aborted and its changes reported failed.</summary>
    public Task<PublishResult> ApplyAsync(IReadOnlyList<RepositoryChange> changes, IProgress<PublishProgress>? progress, CancellationToken ct) =>
        throw new NotImplementedException();

    /// <summary>Marks unreferenced images and removes those past the grace period, in bounded batches.</summary>
    public Task<GcResult> CollectGarbageAsync(bool dryRun, CancellationToken ct) => throw new NotImplementedException();

    /// <inheritdoc />
    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
