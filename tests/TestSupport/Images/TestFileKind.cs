namespace CvmfsImages.TestSupport.Images;

/// <summary>The kind of a <see cref="TestFile"/> tar entry.</summary>
public enum TestFileKind
{
    File,
    Directory,
    Symlink,
    Hardlink,
}
