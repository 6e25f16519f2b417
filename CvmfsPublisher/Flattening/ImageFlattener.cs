using System.Buffers;
using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace CvmfsImages.Publisher.Flattening;

/// <summary>
/// Flattens an image's layers into one directory tree that a job can use as its root: OCI whiteouts applied, links
/// written as they are and never followed, nothing written outside the tree, modes made world-readable for CVMFS with
/// setuid/setgid dropped, and Singularity's metadata (<c>/.singularity.d</c>) and mount points added.
/// </summary>
/// <remarks>
/// Layers are streamed: each is decompressed and applied entry by entry as it is read, so memory does not grow with
/// layer size. The work runs on a dedicated thread per layer (blocking file-system calls).
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
        try
        {
            var counters = new FlattenCounters();
            var applier = new LayerApplier(tree, counters, buffer);
            for (var i = 0; i < layers.Count; i++)
            {
                var layer = layers[i];
                var diffId = layer.DiffId ?? (config.DiffIds.Count == layers.Count ? config.DiffIds[i] : null);
                var verify = options.VerifyDiffIds && diffId is not null;
                LogLayerStarted(target, i + 1, layers.Count, layer.Digest, layer.MediaType);
                var stored = await layer.OpenAsync(cancellationToken);
                var index = i;
                long bytes;

                // Reads are blocking; cancelling disposes the layer stream, which is how a stalled network read ends.
                using (cancellationToken.Register(static s => ((Stream)s!).Dispose(), stored))
                {
                    try
                    {
                        bytes = await Task.Factory.StartNew(
                            () => ApplyLayer(applier, layer, stored, verify ? diffId : null, index, layers.Count, options.Progress, cancellationToken),
                            cancellationToken,
                            TaskCreationOptions.LongRunning,
                            TaskScheduler.Default);
                    }
                    catch (Exception ex) when (cancellationToken.IsCancellationRequested && ex is not OperationCanceledException)
                    {
                        throw new OperationCanceledException($"Flattening {target} was cancelled in layer {layer.Digest}.", ex, cancellationToken);
                    }
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
            tree.Dispose();
            tree = null;
            TreeWriter.RemoveAll(target);
            LogFailed(ex, target);
            throw;
        }
        finally
        {
            tree?.Dispose();
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static long ApplyLayer(
        LayerApplier applier,
        LayerInput layer,
        Stream stored,
        string? expectedDiffId,
        int index,
        int count,
        IProgress<FlattenProgress>? progress,
        CancellationToken cancellationToken)
    {
        Stream tar;
        DigestingStream digesting;
        try
        {
            tar = LayerStreams.OpenTarReadAhead(layer, stored, hash: expectedDiffId is not null, out digesting);
        }
        catch
        {
            stored.Dispose();
            throw;
        }

        string? actual;
        long bytes;
        using (tar)
        {
            try
            {
                applier.Apply(
                    tar,
                    layer.Digest,
                    progress is null ? null : entries => progress.Report(new FlattenProgress(index, count, layer.Digest, entries, digesting.BytesRead, LayerDone: false)),
                    cancellationToken);

                // What follows the end-of-archive marker (padding) is part of the layer and of its DiffID; reading it
                // also makes the decompressor check its trailer.
                LayerStreams.Drain(tar);
                actual = expectedDiffId is null ? null : digesting.Digest();
                bytes = digesting.BytesRead;
            }
            catch (Exception ex) when (ex is InvalidDataException or EndOfStreamException)
            {
                throw new LayerException($"Layer {layer.Digest} is truncated or corrupt: {ex.Message}", layer.Digest, null, ex);
            }
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
