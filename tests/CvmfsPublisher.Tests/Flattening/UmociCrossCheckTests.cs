using System.Diagnostics;
using System.Formats.Tar;
using CvmfsImages.TestSupport;
using Xunit;

namespace CvmfsImages.Tests.CvmfsPublisher.Flattening;

/// <summary>
/// The same multi-layer image flattened by <c>umoci unpack --rootless</c> and by us must give the same tree entry by
/// entry (type, size, content hash, link target). Documented differences: our modes are normalised for CVMFS
/// (compared after applying the same rule to umoci's), and we add the Singularity metadata and mount points.
/// </summary>
public sealed class UmociCrossCheckTests
{
    private static readonly string[] Generated =
    [
        ".singularity.d", "singularity", "environment", ".exec", ".run", ".shell", ".test",
        "cvmfs", "srv", "dev", "proc", "sys", "tmp", "var", "var/tmp", "home", "etc/hosts", "etc/resolv.conf", "etc/passwd", "etc/group",
    ];

    private static List<byte[]> Image()
    {
        var longName = string.Join('/', Enumerable.Repeat("a-rather-long-directory-name", 5)) + "/file";
        var layer1 = new TarBuilder()
            .Directory("etc").File("etc/os-release", "ID=test\n").File("etc/shadow", "secret", (UnixFileMode)0x180)
            .Directory("usr/bin").File("usr/bin/tool", "#!/bin/sh\necho tool\n", (UnixFileMode)0x1ED)
            .File("usr/bin/su", "setuid", (UnixFileMode)0x9ED).Directory("usr/lib", (UnixFileMode)0x1C0)
            .File("usr/lib/libx.so.1", new byte[70_000]).Symlink("usr/lib/libx.so", "libx.so.1").Symlink("lib", "usr/lib")
            .Directory("opaque").File("opaque/old1", "1").Directory("opaque/sub").File("opaque/sub/old2", "2")
            .Directory("gone").File("gone/a", "a").File("replace-me", "file").Directory("becomes-file").File("becomes-file/x", "x")
            .Directory("tmp", (UnixFileMode)0x3FF).Hardlink("usr/bin/tool-link", "usr/bin/tool")
            .File(longName, "long").ToTar();
        var layer2 = new TarBuilder()
            .Whiteout("gone").Whiteout("etc/shadow").Opaque("opaque").File("opaque/new", "new").Directory("opaque/sub").File("opaque/sub/fresh", "fresh")
            .Directory("replace-me").File("replace-me/inside", "inside").File("becomes-file", "now a file")
            .File("lib/added-through-link.so", "via symlink").Hardlink("usr/bin/tool-link2", "usr/bin/tool")
            .Symlink("x", "/etc").File("x/through-absolute-link", "inside the root").ToTar();
        var layer3 = new TarBuilder(TarEntryFormat.Gnu)
            .File("usr/bin/tool", "#!/bin/sh\necho tool v2\n", (UnixFileMode)0x1ED).Whiteout("usr/bin/su").File("data/setgid", "g", (UnixFileMode)0x5ED)
            .ToTar();
        return [layer1, layer2, layer3];
    }

    [Fact]
    public async Task Umoci_and_we_produce_the_same_tree()
    {
        var umoci = RequiredTool.Require("umoci", "umoci");
        var tars = Image();
        using var work = new TempDirectory("umoci");
        OciLayout.Write(work.Combine("layout"), "test", tars);
        var (code, output) = Exec(umoci, ["unpack", "--rootless", "--image", work.Combine("layout") + ":test", work.Combine("bundle")]);
        Assert.True(code == 0, "umoci unpack failed: " + output);

        using var ours = await TestLayers.FlattenAsync(tars.Select(t => TestLayers.FromBytes(TarBuilder.Gzip(t), TestLayers.OciGzip)));
        var theirs = TreeSnapshot.Take(work.Combine("bundle", "rootfs"));
        var mine = TreeSnapshot.Take(ours.Root);

        foreach (var (path, description) in theirs)
        {
            Assert.True(mine.TryGetValue(path, out var ourDescription), $"umoci has '{path}' ({description}); we do not");
            Assert.Equal($"{path}: {Normalise(description)}", $"{path}: {ourDescription}");
        }

        var extra = mine.Keys.Where(p => !theirs.ContainsKey(p)).ToList();
        Assert.All(extra, p => Assert.True(Generated.Any(g => p == g || p.StartsWith(g + "/", StringComparison.Ordinal)), $"we have '{p}', umoci does not"));
        Assert.True(theirs.Count >= 30, $"umoci unpacked only {theirs.Count} entries");
        Assert.Contains("usr/lib/added-through-link.so", theirs.Keys);
        Assert.Contains("etc/through-absolute-link", theirs.Keys);
    }

    // Our documented difference: CVMFS modes (files a+r, u+w, a+x if u+x; dirs a+rx, sticky only; no setuid/setgid).
    private static string Normalise(string description)
    {
        var parts = description.Split(' ');
        if (parts[0] is "f" or "d")
        {
            var mode = Convert.ToInt32(parts[1], 8);
            var normalised = parts[0] == "f"
                ? (mode & 0x1FF) | 0x124 | 0x80 | ((mode & 0x40) != 0 ? 0x49 : 0)
                : (mode & 0x3FF) | 0x1ED;
            parts[1] = Convert.ToString(normalised, 8);
        }

        return string.Join(' ', parts);
    }

    private static (int Code, string Output) Exec(string file, string[] args)
    {
        var start = new ProcessStartInfo(file, args) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        using var process = Process.Start(start)!;
        var error = process.StandardError.ReadToEndAsync();
        var output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, output + error.GetAwaiter().GetResult());
    }
}
