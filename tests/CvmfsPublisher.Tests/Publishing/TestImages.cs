using Xunit;
using System.Security.Cryptography;
using System.Text;
using CvmfsImages.Publisher.Publishing;

namespace CvmfsImages.Tests.CvmfsPublisher.Publishing;

/// <summary>Small flattened image trees (files, a symlink, a hardlink, a read-only directory) named by a seed.</summary>
internal static class TestImages
{
    public static string Digest(string seed) => "sha256:" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(seed)));

    /// <summary>Stages an image for <paramref name="seed"/> and returns the change that adds it.</summary>
    public static AddImage Stage(CvmfsRepository repository, string seed, string platform = "linux/amd64", int extraFiles = 0)
    {
        var digest = Digest(seed);
        var tree = repository.CreateStagingPath(digest);
        Build(tree, seed, extraFiles);
        return new AddImage(Metadata(seed, platform), tree);
    }

    public static ImageMetadata Metadata(string seed, string platform = "linux/amd64") => new()
    {
        ConfigDigest = Digest(seed),
        ManifestDigest = Digest("manifest-" + seed),
        Platform = platform,
        Sources = [$"docker.io/library/{seed}:latest"],
        SourceDigests = [Digest("index-" + seed)],
        Size = 100,
        Files = 6,
    };

    public static void Build(string tree, string seed, int extraFiles = 0)
    {
        Directory.CreateDirectory(Path.Combine(tree, "bin"));
        Directory.CreateDirectory(Path.Combine(tree, "etc"));
        File.WriteAllText(Path.Combine(tree, "bin", "tool"), "tool of " + seed);
        File.SetUnixFileMode(Path.Combine(tree, "bin", "tool"), (UnixFileMode)0x1ED);
        File.CreateSymbolicLink(Path.Combine(tree, "bin", "link"), "tool");
        File.CreateSymbolicLink(Path.Combine(tree, "etc", "escape"), "/etc/passwd"); // published as a link, never followed
        File.WriteAllText(Path.Combine(tree, "etc", "name"), seed);
        LinkHard(Path.Combine(tree, "bin", "tool"), Path.Combine(tree, "bin", "hard"));
        for (var i = 0; i < extraFiles; i++)
        {
            var dir = Path.Combine(tree, "data", (i / 100).ToString("D3", System.Globalization.CultureInfo.InvariantCulture));
            Directory.CreateDirectory(dir);
            File.WriteAllText(Path.Combine(dir, $"f{i}"), $"{seed} {i}");
        }

        Directory.CreateDirectory(Path.Combine(tree, "ro"));
        File.WriteAllText(Path.Combine(tree, "ro", "file"), "read-only directory");
        File.SetUnixFileMode(Path.Combine(tree, "ro"), (UnixFileMode)0x16D); // 0555
    }

    /// <summary>Asserts that <paramref name="imageDirectory"/> holds the whole image for <paramref name="seed"/>.</summary>
    public static void AssertComplete(string imageDirectory, string seed)
    {
        Assert.Equal("tool of " + seed, File.ReadAllText(Path.Combine(imageDirectory, "bin", "tool")));
        Assert.Equal(seed, File.ReadAllText(Path.Combine(imageDirectory, "etc", "name")));
        Assert.Equal("tool", new FileInfo(Path.Combine(imageDirectory, "bin", "link")).LinkTarget);
        Assert.Equal("/etc/passwd", new FileInfo(Path.Combine(imageDirectory, "etc", "escape")).LinkTarget);
        Assert.Equal("read-only directory", File.ReadAllText(Path.Combine(imageDirectory, "ro", "file")));
        Assert.True(File.Exists(Path.Combine(imageDirectory, RepositoryLayout.CatalogMarker)), "every image is a nested catalog");
        Assert.Equal(Inode(Path.Combine(imageDirectory, "bin", "tool")), Inode(Path.Combine(imageDirectory, "bin", "hard")));
        Assert.Equal((UnixFileMode)0x1ED, File.GetUnixFileMode(Path.Combine(imageDirectory, "bin", "tool")) & (UnixFileMode)0x1FF);
    }

    public static string Inode(string path)
    {
        var start = new System.Diagnostics.ProcessStartInfo("stat", ["-c", "%d:%i", path]) { RedirectStandardOutput = true };
        using var process = System.Diagnostics.Process.Start(start)!;
        var output = process.StandardOutput.ReadToEnd().Trim();
        process.WaitForExit();
        return output;
    }

    private static void LinkHard(string existing, string link)
    {
        var start = new System.Diagnostics.ProcessStartInfo("ln", [existing, link]);
        using var process = System.Diagnostics.Process.Start(start)!;
        process.WaitForExit();
        Assert.Equal(0, process.ExitCode);
    }
}
