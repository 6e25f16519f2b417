using CvmfsImages.Runtime.Native;

namespace CvmfsImages.Runtime.Planning;

/// <summary>
/// A container path resolved the way the starter will (inside the new root, links followed within it): the canonical
/// existing part, the components still missing beneath it, and the type of the final entry when it exists.
/// </summary>
internal sealed record ResolvedPath(string Existing, IReadOnlyList<string> Missing, FileKind Kind)
{
    public bool Exists => Missing.Count == 0;

    public string Canonical => Missing.Count == 0 ? Existing : PathRules.Normalize(Existing + "/" + string.Join('/', Missing));
}
