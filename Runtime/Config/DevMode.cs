namespace CvmfsImages.Runtime.Config;

/// <summary><c>mount dev</c>: the host's /dev, a minimal one, or none.</summary>
internal enum DevMode
{
    No,
    Yes,
    Minimal,
}
