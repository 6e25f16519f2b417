using CvmfsImages.Runtime.Native;

namespace CvmfsImages.Runtime.Planning;

/// <summary>
/// What one canonical container path is in the planned container: its type, the link target when it is a symlink,
/// and whether a missing child may be created beneath it (a tmpfs the runtime made) or needs an underlay (an image
/// directory), or cannot be created at all (a host directory bound in: the runtime never writes to the host).
/// </summary>
internal readonly record struct ViewEntry(FileKind Kind, string? LinkTarget, ViewOrigin Origin, string? HostPath);
