namespace CvmfsImages.Runtime.Nvidia;

/// <summary>What <c>--nv</c> binds: driver libraries (soname, host path), tools (name, host path) and device nodes.</summary>
internal sealed record NvidiaFiles(
    IReadOnlyList<KeyValuePair<string, string>> Libraries,
    IReadOnlyList<KeyValuePair<string, string>> Binaries,
    IReadOnlyList<string> Devices);
