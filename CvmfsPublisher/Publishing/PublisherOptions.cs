namespace CvmfsImages.Publisher.Publishing;

/// <summary>
/// Where and how images are published; bound from the configuration section <see cref="SectionName"/>.
/// Every default is here; <see cref="Validate"/> refuses nonsense, naming the key.
/// </summary>
public sealed class PublisherOptions
{
    /// <summary>The configuration section these options are bound from.</summary>
    public const string SectionName = "Publisher";

    /// <summary><c>directory</c> (default) or <c>cvmfs_server</c>; see <see cref="PublisherBackends"/>.</summary>
    public string Backend { get; set; } = PublisherBackends.Directory;

    /// <summary>The published tree of the <c>directory</c> backend. Required for it.</summary>
    public string? Root { get; set; }

    /// <summary>The CVMFS repository name (e.g. <c>singularity.opensciencegrid.org</c>). Required for <c>cvmfs_server</c>.</summary>
    public string? RepositoryName { get; set; }

    /// <summary>The <c>cvmfs_server</c> command: a name looked up on PATH or an absolute path.</summary>
    public string CvmfsServerPath { get; set; } = "cvmfs_server";

    /// <summary>Where repositories are mounted; the tree is written under <c>MountRoot/RepositoryName</c>.</summary>
    public string MountRoot { get; set; } = "/cvmfs";

    /// <summary>
    /// <c>cvmfs_server</c> only: add and delete images with <c>cvmfs_server ingest</c> (a streamed tar, no union file
    /// system) and move tags and metadata in a short transaction.
    /// </summary>
    public bool UseIngest { get; set; }

    /// <summary>
    /// Where images are flattened before they are published, and where the publisher keeps its lock and journal.
    /// <c>directory</c>: defaults to <c>Root/.staging</c> and must be on the same file system as Root (images are
    /// renamed into place). <c>cvmfs_server</c>: required, outside the repository.
    /// </summary>
    public string? StagingDirectory { get; set; }

    /// <summary>
    /// The lock file that keeps publishers of one repository from interleaving (flock). Defaults to
    /// <c>StagingDirectory/publisher.lock</c>: publishers of one repository must share it.
    /// </summary>
    public string? LockFile { get; set; }

    /// <summary>How long to wait for another publisher's transaction before failing.</summary>
    public TimeSpan LockTimeout { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary>How long one <c>cvmfs_server</c> command may run before it is killed and counted failed.</summary>
    public TimeSpan CommandTimeout { get; set; } = TimeSpan.FromHours(2);

    /// <summary>How references become paths: <c>Osg</c> (default) or <c>Registry</c>.</summary>
    public PathStyle PathStyle { get; set; } = PathStyle.Osg;

    /// <summary>At most this many images are added in one transaction.</summary>
    public int MaxImagesPerTransaction { get; set; } = 50;

    /// <summary>At most this many bytes of images are added in one transaction (one bigger image goes alone).</summary>
    public long MaxBytesPerTransaction { get; set; } = 20L * 1024 * 1024 * 1024;

    /// <summary>A transaction open this long is published before the next change is started.</summary>
    public TimeSpan MaxTransactionTime { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary>How long an image stays after no tag refers to it (running jobs may still use it).</summary>
    public TimeSpan GcGracePeriod { get; set; } = TimeSpan.FromDays(2);

    /// <summary>At most this many images are deleted per transaction by garbage collection.</summary>
    public int GcBatchSize { get; set; } = 100;

    /// <summary><c>Relative</c> (default) or <c>Absolute</c> tag symlinks (<see cref="Publishing.TagLinks"/>).</summary>
    public TagLinks TagLinks { get; set; } = TagLinks.Relative;

    /// <summary>
    /// The absolute path worker nodes see the repository at, which absolute tag links name (<c>/cvmfs/&lt;repo&gt;</c>).
    /// Links into it are read as tags; <see cref="TagLinks.Absolute"/> writes them. Default: the tree's root
    /// (<c>Root</c>, or <c>MountRoot/RepositoryName</c>).
    /// </summary>
    public string? MountPath { get; set; }

    /// <summary>Throws <see cref="ArgumentException"/> naming the first bad key (as <c>Publisher:Key</c>).</summary>
    public void Validate()
    {
        switch (Backend)
        {
            case PublisherBackends.Directory:
                Require(Root, nameof(Root), "the directory backend needs the published tree's path");
                RequireAbsolute(Root!, nameof(Root));
                break;
            case PublisherBackends.CvmfsServer:
                Require(RepositoryName, nameof(RepositoryName), "the cvmfs_server backend needs the repository name");
                if (!IsRepositoryName(RepositoryName!))
                {
                    Fail(nameof(RepositoryName), $"'{RepositoryName}' is not a CVMFS repository name (letters, digits, '.', '-', '_')");
                }

                Require(CvmfsServerPath, nameof(CvmfsServerPath), "name the cvmfs_server command");
                Require(MountRoot, nameof(MountRoot), "name where repositories are mounted (usually /cvmfs)");
                RequireAbsolute(MountRoot, nameof(MountRoot));
                Require(StagingDirectory, nameof(StagingDirectory), "the cvmfs_server backend needs a staging directory outside the repository");
                break;
            default:
                Fail(nameof(Backend), $"'{Backend}' is not a backend: use '{PublisherBackends.Directory}' or '{PublisherBackends.CvmfsServer}'");
                break;
        }

        if (StagingDirectory is not null)
        {
            RequireAbsolute(StagingDirectory, nameof(StagingDirectory));
        }

        if (LockFile is not null)
        {
            RequireAbsolute(LockFile, nameof(LockFile));
        }

        if (UseIngest && Backend != PublisherBackends.CvmfsServer)
        {
            Fail(nameof(UseIngest), "ingest mode needs the cvmfs_server backend");
        }

        Positive(LockTimeout, nameof(LockTimeout));
        Positive(CommandTimeout, nameof(CommandTimeout));
        Positive(MaxTransactionTime, nameof(MaxTransactionTime));
        if (GcGracePeriod < TimeSpan.Zero)
        {
            Fail(nameof(GcGracePeriod), "must not be negative");
        }

        if (MaxImagesPerTransaction < 1)
        {
            Fail(nameof(MaxImagesPerTransaction), $"must be at least 1, not {MaxImagesPerTransaction}");
        }

        if (MaxBytesPerTransaction < 1)
        {
            Fail(nameof(MaxBytesPerTransaction), $"must be at least 1, not {MaxBytesPerTransaction}");
        }

        if (GcBatchSize < 1)
        {
            Fail(nameof(GcBatchSize), $"must be at least 1, not {GcBatchSize}");
        }

        if (MountPath is not null)
        {
            RequireAbsolute(MountPath, nameof(MountPath));
            if (Path.TrimEndingDirectorySeparator(MountPath).Length < 2)
            {
                Fail(nameof(MountPath), $"'{MountPath}' is the file system root; name the repository's mount path (/cvmfs/<repository>)");
            }
        }

        if (!Enum.IsDefined(TagLinks))
        {
            Fail(nameof(TagLinks), $"'{TagLinks}' is not a link style: use Relative or Absolute");
        }

        if (!Enum.IsDefined(PathStyle))
        {
            Fail(nameof(PathStyle), $"'{PathStyle}' is not a path style: use Osg or Registry");
        }
    }

    /// <summary>The staging directory in effect (the default filled in). Call after <see cref="Validate"/>.</summary>
    internal string EffectiveStagingDirectory =>
        StagingDirectory ?? Path.Combine(Root ?? throw new InvalidOperationException("Publisher:Root is not set"), ".staging");

    /// <summary>The lock file in effect. Call after <see cref="Validate"/>.</summary>
    internal string EffectiveLockFile => LockFile ?? Path.Combine(EffectiveStagingDirectory, "publisher.lock");

    /// <summary>The root of the published tree: Root, or MountRoot/RepositoryName.</summary>
    internal string TreeRoot => Backend == PublisherBackends.Directory ? Root! : Path.Combine(MountRoot, RepositoryName!);

    /// <summary>The mount path in effect (<see cref="MountPath"/> or the tree's root), without a trailing slash.</summary>
    internal string EffectiveMountPath => Path.TrimEndingDirectorySeparator(Path.GetFullPath(MountPath ?? TreeRoot));

    internal static bool IsRepositoryName(string name) =>
        name.Length is > 0 and <= 255 && name[0] != '.' && name[0] != '-' &&
        name.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_');

    private static void Require(string? value, string key, string why)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            Fail(key, why);
        }
    }

    private static void RequireAbsolute(string value, string key)
    {
        if (!Path.IsPathFullyQualified(value))
        {
            Fail(key, $"'{value}' must be an absolute path");
        }
    }

    private static void Positive(TimeSpan value, string key)
    {
        if (value <= TimeSpan.Zero)
        {
            Fail(key, $"must be positive, not {value}");
        }
    }

    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    private static void Fail(string key, string why) =>
        throw new ArgumentException($"{SectionName}:{key}: {why}", $"{SectionName}:{key}");
}
