namespace CvmfsImages.Sync.CommandLine;

/// <summary>Exit codes scripts can rely on (documented in the README and in <c>--help</c>).</summary>
public static class ExitCodes
{
    /// <summary>Everything is current / the list is valid.</summary>
    public const int Success = 0;

    /// <summary>Some images failed (the others were still done), or online validation found unresolvable lines.</summary>
    public const int ImagesFailed = 1;

    /// <summary>Bad command line or configuration (the message names the option or key).</summary>
    public const int Usage = 2;

    /// <summary>The list cannot be read, or it has malformed lines, duplicates or path collisions.</summary>
    public const int ListInvalid = 3;

    /// <summary>The repository or registry could not be used at all (not one image's fault).</summary>
    public const int Unavailable = 4;

    /// <summary>
    /// The pass would remove more published tags than <c>Sync:MaxRemovalPercent</c> allows; it changed nothing
    /// (<c>--allow-mass-removal</c> lets it go through).
    /// </summary>
    public const int MassRemoval = 5;

    /// <summary>Stopped by a signal (SIGINT/SIGTERM) before it finished.</summary>
    public const int Interrupted = 130;
}
