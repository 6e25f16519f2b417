namespace CvmfsImages.Runtime.Native;

/// <summary>The type of a file as <c>lstat</c> reports it (links are not followed).</summary>
internal enum FileKind
{
    Missing,
    Directory,
    Regular,
    Symlink,
    Other,
}
