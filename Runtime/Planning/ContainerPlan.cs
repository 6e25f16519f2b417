namespace CvmfsImages.Runtime.Planning;

/// <summary>
/// The front end's decision: the ops for the starter, or an exit without starting anything. <see cref="Command"/> is
/// the payload as the user asked for it (before the environment wrapper), for the trace record.
/// </summary>
internal sealed record ContainerPlan(IReadOnlyList<Op> Ops, string WorkingDirectory, string ImagePath, int? ImmediateExit = null)
{
    public IReadOnlyList<string> Command { get; init; } = [];

    /// <summary>The image as given on the command line, made absolute (SINGULARITY_CONTAINER).</summary>
    public string GivenImage { get; init; } = string.Empty;
}
