namespace CvmfsImages.Runtime.Planning;

/// <summary>One mount in the container, at a canonical destination (resolved inside the image, no links left).</summary>
internal sealed record PlannedMount(MountKind Kind, string Destination, string? Source, bool ReadOnly);
