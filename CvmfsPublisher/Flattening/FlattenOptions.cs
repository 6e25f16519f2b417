namespace CvmfsImages.Publisher.Flattening;

/// <summary>How <see cref="ImageFlattener"/> builds a tree. Defaults are the documented production behaviour.</summary>
public sealed class FlattenOptions
{
    /// <summary>Check each layer's uncompressed sha256 against <see cref="LayerInput.DiffId"/> when one is given. Default true.</summary>
    public bool VerifyDiffIds { get; set; } = true;

    /// <summary>
    /// Absolute paths of extra directories to create when the image lacks them (site bind destinations such as
    /// <c>/cvmfs/other</c> or <c>/scratch</c>), in addition to the standard mount points. Each must be absolute and
    /// must not contain <c>..</c>; an invalid one is an <see cref="ArgumentException"/> naming it.
    /// </summary>
    public IReadOnlyList<string> ExtraMountPoints { get; set; } = [];

    /// <summary>Receives progress after each layer and periodically within large layers.</summary>
    public IProgress<FlattenProgress>? Progress { get; set; }
}
