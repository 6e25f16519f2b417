namespace CvmfsImages.Publisher.Flattening;

/// <summary>Running totals over one image, turned into a <see cref="FlattenResult"/> at the end.</summary>
internal sealed class FlattenCounters
{
    public long Files;
    public long Symlinks;
    public long Hardlinks;
    public long Bytes;
    public long SkippedSpecialFiles;
    public long SkippedXattrs;

    public FlattenResult ToResult(long directories) =>
        new(Files, directories, Symlinks, Hardlinks, Bytes, SkippedSpecialFiles, SkippedXattrs);
}
