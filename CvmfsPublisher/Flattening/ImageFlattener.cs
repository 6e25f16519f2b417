using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace CvmfsImages.Publisher.Flattening;

/// <summary>
/// Flattens an image's layers into one directory tree that a job can use as its root: OCI whiteouts applied, links
/// written as they are and never followed, nothing written outside the tree, modes made world-readable for CVMFS with
/// setuid/setgid dropped, and Singularity's metadata (<c>/.singularity.d</c>) added.
/// </summary>
public sealed partial class ImageFlattener
{
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
    public Task<FlattenResult> FlattenAsync(
        IReadOnlyList<LayerInput> layers,
        ImageConfig config,
        string targetDirectory,
        FlattenOptions? options,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(layers);
        ArgumentNullException.ThrowIfNull(config);
        ArgumentException.ThrowIfNullOrEmpty(targetDirectory);
        _ = _logger;
        throw new NotImplementedException("skeleton");
    }
}
