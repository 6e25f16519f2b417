namespace CvmfsImages.Runtime.Diagnostics;

/// <summary>Singularity's message levels, most severe first; -s, -q, (default), -v and -d pick the threshold.</summary>
internal enum MessageLevel
{
    Fatal = -4,
    Error = -3,
    Warning = -2,
    Info = 1,
    Verbose = 2,
    Debug = 5,
}
