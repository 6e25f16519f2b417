namespace CvmfsImages.Publisher.Publishing;

/// <summary>The values of <see cref="PublisherOptions.Backend"/>.</summary>
public static class PublisherBackends
{
    /// <summary>A plain directory tree (the embedded default; can be served over NFS or Lustre).</summary>
    public const string Directory = "directory";

    /// <summary>A CVMFS repository driven through <c>cvmfs_server</c> on a stratum-0 or gateway publisher.</summary>
    public const string CvmfsServer = "cvmfs_server";
}
