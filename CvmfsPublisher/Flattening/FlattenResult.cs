namespace CvmfsImages.Publisher.Flattening;

/// <summary>What a flatten wrote: counts over the final tree's entries as written (later layers overwrite earlier ones).</summary>
/// <param name="Files">Regular files written (each hardlink counted under <paramref name="Hardlinks"/> instead).</param>
/// <param name="Directories">Directories created, explicit or implicit.</param>
/// <param name="Symlinks">Symbolic links written.</param>
/// <param name="Hardlinks">Hard links made.</param>
/// <param name="Bytes">Bytes of regular-file content written.</param>
/// <param name="SkippedSpecialFiles">Character/block devices, FIFOs and sockets in the layers, not created.</param>
/// <param name="SkippedXattrs">Extended attributes (PAX <c>SCHILY.xattr.*</c>) in the layers, not applied.</param>
public sealed record FlattenResult(
    long Files,
    long Directories,
    long Symlinks,
    long Hardlinks,
    long Bytes,
    long SkippedSpecialFiles,
    long SkippedXattrs)
{
    /// <summary>Files + directories + symlinks + hardlinks.</summary>
    public long Entries => Files + Directories + Symlinks + Hardlinks;
}
