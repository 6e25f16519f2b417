namespace CvmfsImages.Runtime.Planning;

/// <summary>
/// A mount the planner wants, before its destination is resolved. <paramref name="Required"/>: a failure to place it is
/// an error (user binds) rather than a skipped mount with a warning (system mounts).
/// </summary>
internal sealed record MountRequest(MountKind Kind, string Destination, string? Source, bool ReadOnly, bool SourceIsFile, string Origin, bool Required)
{
    /// <summary>For <see cref="MountKind.File"/>: the file's content.</summary>
    public string? Content { get; init; }

    /// <summary>The home directory's bind (<see cref="Op.BindHome"/>: the setuid starter checks its owner).</summary>
    public bool IsHome { get; init; }

    public int Depth => PathRules.Components(Destination).Count;
}
