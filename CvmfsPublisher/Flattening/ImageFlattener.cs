using System.Buffers;
using System.Diagnostics;
using CvmfsImages.Publisher.Publishing;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace CvmfsImages.Publisher.Flattening;

/// <summary>
/// Flattens an image's layers into one directory tree that a job can use as its root: OCI whiteouts applied, links
/// written as they are and never followed, nothing written outside the tree, modes made world-readable for CVMFS with
/// setuid/setgid dropped, and Singularity's metadata (<c>/.singularity.d</c>) and mount points added.
/// </summary>
/// <remarks>
/// Layers are streamed: each is read, decompressed and applied entry by entry on threads of its own (a
/// <see cref="LayerPipeline"/>: reading, decompressing and hashing, writing files), through bounded buffers, so memory
/// does not grow with layer size; the next layer is opened and decompressed while one is applied, and applied in order.
/// </remarks>
public sealed partial class ImageFlattener
{
    private const int CopyBufferSize = 1 << 20;

    private readonly ILogger _logger;

    public ImageFlattener(ILogger<ImageFlattener>? logger = null)
    {
        _logger = (ILogger?)logger ?? NullLogger.Instance;
    }

    /// <summary>
    /// Applies <paramref name="layers"/> in order into <paramref name="targetDirectory"/>, which must not exist (its
    /// parent must). On any failure the partial tree is removed and the exception rethrown.
    /// </summary>
    /// <exception cref="LayerException">A layer is malformed, does not match its DiffID or holds a refused entry.</exception>
    /// <exception cref="IOException">The target exists, its parent does not, or writing failed (disk full).</exception>
    /// <exception cref="InvalidDataException">The image's tree does not leave room for a mount point or the WorkingDir (a file where a directory must be).</exception>
    /// <exception cref="ArgumentException">An extra mount point is not an absolute path without <c>..</c>.</exception>
    public async Task<FlattenResult> FlattenAsync(
        IReadOnlyList<LayerInput> layers,
        ImageConfig config,
        string targetDirectory,
        FlattenOptions? options,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(layers);
        ArgumentNullException.ThrowIfNull(config);
        ArgumentException.ThrowIfNullOrEmpty(targetDirectory);
        options ??= new FlattenOptions();
        ValidateMountPoints(options.ExtraMountPoints);
        for (var i = 0; i < layers.Count; i++)
        {
            if (layers[i] is null)
            {
                throw new ArgumentException($"Layer {i} is null.", nameof(layers));
            }
        }

        cancellationToken.ThrowIfCancellationRequested();
        var target = Path.GetFullPath(targetDirectory);
        var stopwatch = Stopwatch.StartNew();
        var tree = TreeWriter.Create(target);
        var buffer = ArrayPool<byte>.Shared.Rent(CopyBufferSize);
        var sources = new LayerSources();
        var prepared = new Task<LayerPipeline>?[layers.Count];
        try
        {
            // Reads are blocking; cancelling disposes every opened layer stream, which is how a stalled network read ends.
            using var registration = cancellationToken.Register(static s => ((LayerSources)s!).Cancel(), sources);
            var counters = new FlattenCounters();
            var applier = new LayerApplier(tree, counters, buffer);
            for (var i = 0; i < layers.Count; i++)
            {
                var layer = layers[i];
                prepared[i] ??= PrepareAsync(layer, i, ExpectedDiffId(layers, config, options, i) is not null, sources, cancellationToken);

                // The next layer is opened and decompressed (into its bounded buffers) while this one is applied; its
                // entries are applied only once this layer is complete, and its errors surface only then.
                if (i + 1 < layers.Count)
                {
                    prepared[i + 1] = PrepareAsync(layers[i + 1], i + 1, ExpectedDiffId(layers, config, options, i + 1) is not null, sources, cancellationToken);
                }

                LogLayerStarted(target, i + 1, layers.Count, layer.Digest, layer.MediaType);
                var pipeline = await prepared[i]!;
                prepared[i] = null;
                var index = i;
                var expected = ExpectedDiffId(layers, config, options, i);
                long bytes;
                try
                {
                    bytes = await Task.Factory.StartNew(
                        () => ApplyLayer(applier, layer, pipeline, expected, index, layers.Count, options.Progress, cancellationToken),
                        cancellationToken,
                        TaskCreationOptions.LongRunning,
                        TaskScheduler.Default);
                }
                catch (Exception ex) when (cancellationToken.IsCancellationRequested && ex is not OperationCanceledException)
                {
                    throw new OperationCanceledException($"Flattening {target} was cancelled in layer {layer.Digest}.", ex, cancellationToken);
                }
                finally
                {
                    pipeline.Dispose();
                }

                LogLayerApplied(target, i + 1, layers.Count, layer.Digest, bytes);
            }

            await Task.Factory.StartNew(
                () =>
                {
                    try
                    {
                        SingularityMetadata.Write(tree, config, options.ExtraMountPoints, counters);
                    }
                    catch (EntryRefusedException ex)
                    {
                        // The image's own tree is in the way (its /etc is a file, a link loop): the image is at fault.
                        throw new InvalidDataException($"Flattening {target}: the Singularity metadata and mount points cannot be added: {ex.Message}", ex);
                    }

                    tree.FinishDirectories();
                },
                cancellationToken,
                TaskCreationOptions.LongRunning,
                TaskScheduler.Default);

            var result = counters.ToResult(tree.DirectoriesCreated);
            if (result.SkippedSpecialFiles > 0)
            {
                LogSpecialFilesSkipped(target, result.SkippedSpecialFiles);
            }

            if (result.SkippedXattrs > 0)
            {
                LogXattrsSkipped(target, result.SkippedXattrs);
            }

            LogFlattened(target, layers.Count, result.Entries, result.Bytes, stopwatch.ElapsedMilliseconds);
            return result;
        }
        catch (Exception ex)
        {
            Abandon(prepared);
            tree.Dispose();
            tree = null;
            TreeOperations.DeleteTree(target);
            LogFailed(ex, target);
            throw;
        }
        finally
        {
            tree?.Dispose();
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    // The DiffID a layer is checked against: its own, else the config's when it lists one per layer; null when none or not checking.
    private static string? ExpectedDiffId(IReadOnlyList<LayerInput> layers, ImageConfig config, FlattenOptions options, int index)
    {
        var diffId = layers[index].DiffId ?? (config.DiffIds.Count == layers.Count ? config.DiffIds[index] : null);
        return options.VerifyDiffIds ? diffId : null;
    }

    private static async Task<LayerPipeline> PrepareAsync(LayerInput layer, int index, bool hash, LayerSources sources, CancellationToken cancellationToken)
    {
        var stored = await layer.OpenAsync(cancellationToken).ConfigureAwait(false);
        sources.Add(stored);
        return LayerPipeline.Start(layer, stored, hash, index);
    }

    // A failure leaves layers opened ahead: their threads are stopped and their streams disposed, now or, for an open
    // still in progress, when it completes (its own error is then only observed: the first failure is the one reported).
    private static void Abandon(Task<LayerPipeline>?[] prepared)
    {
        foreach (var task in prepared)
        {
            if (task is null)
            {
                continue;
            }

            if (task.IsCompletedSuccessfully)
            {
                task.Result.Dispose();
            }
            else
            {
                task.ContinueWith(
                    static t =>
                    {
                        if (t.IsCompletedSuccessfully)
                        {
                            t.Result.Dispose();
                        }
                        else
                        {
                            _ = t.Exception;
                        }
                    },
                    CancellationToken.None,
                    TaskContinuationOptions.ExecuteSynchronously,
                    TaskScheduler.Default);
            }
        }
    }

    private static long ApplyLayer(
        LayerApplier applier,
        LayerInput layer,
        LayerPipeline pipeline,
        string? expectedDiffId,
        int index,
        int count,
        IProgress<FlattenProgress>? progress,
        CancellationToken cancellationToken)
    {
        string? actual;
        long bytes;
        try
        {
            applier.Apply(
                pipeline.Tar,
                layer.Digest,
                progress is null ? null : entries => progress.Report(new FlattenProgress(index, count, layer.Digest, entries, pipeline.BytesRead, LayerDone: false)),
                cancellationToken);

            // What follows the end-of-archive marker (padding) is part of the layer and of its DiffID; reading it
            // also makes the decompressor check its trailer.
            LayerStreams.Drain(pipeline.Tar);
            actual = expectedDiffId is null ? null : pipeline.Digest();
            bytes = pipeline.BytesRead;
        }
        catch (Exception ex) when (ex is InvalidDataException or EndOfStreamException)
        {
            throw new LayerException($"Layer {layer.Digest} is truncated or corrupt: {ex.Message}", layer.Digest, null, ex);
        }

        if (expectedDiffId is not null)
        {
            if (!string.Equals(actual, expectedDiffId, StringComparison.OrdinalIgnoreCase))
            {
                throw new LayerException(
                    $"Layer {layer.Digest}: the uncompressed content has digest {actual}, but the image config's DiffID is {expectedDiffId}.",
                    layer.Digest);
            }
        }

        progress?.Report(new FlattenProgress(index, count, layer.Digest, -1, bytes, LayerDone: true));
        return bytes;
    }

    private static void ValidateMountPoints(IReadOnlyList<string> mountPoints)
    {
        ArgumentNullException.ThrowIfNull(mountPoints);
        foreach (var path in mountPoints)
        {
            if (string.IsNullOrEmpty(path) || !path.StartsWith('/') || path.Split('/').Any(p => p == "..") || path.Contains('\0', StringComparison.Ordinal))
            {
                throw new ArgumentException($"Extra mount point '{path}' must be an absolute path without '..'.", nameof(mountPoints));
            }
        }
    }
}
