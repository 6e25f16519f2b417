namespace CvmfsImages.Runtime.Planning;

/// <summary>The front end's decision: the ops for the starter, or an exit without starting anything.</summary>
internal sealed record ContainerPlan(IReadOnlyList<Op> Ops, string WorkingDirectory, string ImagePath, int? ImmediateExit = null);
