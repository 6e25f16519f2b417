namespace CvmfsImages.Publisher.Flattening;

/// <summary>
/// What CVMFS needs from permission bits: every client reads every file, so files are made <c>a+r</c> (and
/// <c>a+x</c> where the owner could execute), directories <c>a+rx</c>; the owner keeps write so the publisher can
/// replace and delete; setuid and setgid are dropped everywhere; the sticky bit is kept on directories only.
/// </summary>
internal static class ModeRules
{
    private const uint Permissions = 0x1FF; // 0777
    private const uint Sticky = 0x200;      // 01000

    public static uint File(uint tarMode)
    {
        var mode = (tarMode & Permissions) | 0x124 /* 0444 */ | 0x80 /* 0200 */;
        if ((tarMode & 0x40 /* 0100 */) != 0)
        {
            mode |= 0x49; // 0111
        }

        return mode;
    }

    public static uint Directory(uint tarMode) => (tarMode & (Permissions | Sticky)) | 0x1ED; // | 0755

    /// <summary>The mode of directories the image does not describe (implicit parents, mount points).</summary>
    public const uint ImplicitDirectory = 0x1ED; // 0755
}
