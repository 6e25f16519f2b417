namespace CvmfsImages.TestSupport;

/// <summary>A directory under the system temp folder, removed (recursively, without following links) on dispose.</summary>
public sealed class TempDirectory : IDisposable
{
    public TempDirectory(string prefix = "cvmfs-images-test")
    {
        Path = Directory.CreateTempSubdirectory(prefix + "-").FullName;
    }

    public string Path { get; }

    public string Combine(params string[] parts) => System.IO.Path.Combine([Path, .. parts]);

    public void Dispose()
    {
        try
        {
            MakeWritable(new DirectoryInfo(Path));
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: a test that leaves a busy mount behind must not hide its own failure behind this one.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    // Tests create read-only trees (flattened images, CVMFS stand-ins); give the owner write back so they can go.
    private static void MakeWritable(DirectoryInfo dir)
    {
        if (!dir.Exists || dir.LinkTarget is not null)
        {
            return;
        }

        dir.UnixFileMode |= UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
        foreach (var sub in dir.EnumerateDirectories())
        {
            MakeWritable(sub);
        }
    }
}
