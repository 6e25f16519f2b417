namespace CvmfsImages.Runtime.Planning;

/// <summary>What a planned mount puts at its destination (one starter op each).</summary>
internal enum MountKind
{
    Bind,
    Tmpfs,
    Proc,
    BindProc,
    Sys,
    Dev,
    DevMinimal,
    File,
}
