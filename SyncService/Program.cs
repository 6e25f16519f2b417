namespace CvmfsImages.Sync;

/// <summary>Entry point of <c>cvmfs-image-sync</c>.</summary>
internal static class Program
{
    /// <summary>Exit code for "this command does not exist yet" (EX_UNAVAILABLE from sysexits.h).</summary>
    private const int NotAvailable = 69;

    private static int Main()
    {
        Console.Error.WriteLine("cvmfs-image-sync: the sync commands are not implemented yet (see the SyncService issues).");
        return NotAvailable;
    }
}
