namespace CvmfsImages.Runtime.Environment;

/// <summary>
/// The container's environment in two layers, the way Singularity applies it: <see cref="Initial"/> is what the
/// payload's shell starts with (host passthrough, HOME, the default PATH, the runtime's own variables); then the
/// image's <c>/.singularity.d/env/*.sh</c> run; then <see cref="UserDefined"/> (from <c>--env</c>, <c>--env-file</c>,
/// <c>APPTAINERENV_</c>, <c>SINGULARITYENV_</c>) is exported over whatever the image set, and the PATH requests applied.
/// </summary>
internal sealed record ContainerEnvironment(
    IReadOnlyList<KeyValuePair<string, string>> Initial,
    IReadOnlyList<KeyValuePair<string, string>> UserDefined,
    string? PathOverride,
    string? PrependPath,
    string? AppendPath);
