using System.Diagnostics;

namespace CvmfsImages.Tests.Runtime.Support;

/// <summary>
/// Builds a directory image from busybox-static: /bin/busybox with a symlink per applet, /etc/passwd and /etc/group
/// with root only, and Singularity metadata (an env script and a runscript). Directories are 0755 and files
/// world-readable so that an unprivileged test user can run it.
/// </summary>
public static class BusyboxImage
{
    public const string BusyboxPath = "/bin/busybox";

    public static bool Available => File.Exists(BusyboxPath);

    public static string Create(string root, bool withHome = true)
    {
        Directory.CreateDirectory(root);
        var bin = Directory.CreateDirectory(Path.Combine(root, "bin")).FullName;
        File.Copy(BusyboxPath, Path.Combine(bin, "busybox"));
        File.SetUnixFileMode(Path.Combine(bin, "busybox"), (UnixFileMode)0b111_101_101);
        foreach (var applet in Applets())
        {
            var link = Path.Combine(bin, applet);
            if (applet != "busybox" && !File.Exists(link))
            {
                File.CreateSymbolicLink(link, "busybox");
            }
        }

        Write(root, "etc/passwd", "root:x:0:0:root:/root:/bin/sh\n");
        Write(root, "etc/group", "root:x:0:\n");
        Write(root, ".singularity.d/env/90-environment.sh", "export IMAGE_VAR=from-image\nexport FOO=image-foo\n");
        Write(root, ".singularity.d/runscript", "#!/bin/sh\necho runscript \"$@\"\nexit 7\n", executable: true);
        Write(root, ".singularity.d/labels.json", "{\"org.label\": \"value\", \"n\": 3}");
        foreach (var dir in new[] { "tmp", "var/tmp", "proc", "sys", "dev", "usr/bin", "opt" })
        {
            Directory.CreateDirectory(Path.Combine(root, dir));
        }

        if (withHome)
        {
            Directory.CreateDirectory(Path.Combine(root, "home"));
        }

        MakeReadable(root);
        return root;
    }

    public static void Write(string root, string relative, string content, bool executable = false)
    {
        var path = Path.Combine(root, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, content);
        File.SetUnixFileMode(path, executable ? (UnixFileMode)0b111_101_101 : (UnixFileMode)0b110_100_100);
    }

    public static void MakeReadable(string root)
    {
        File.SetUnixFileMode(root, (UnixFileMode)0b111_101_101);
        foreach (var dir in Directory.EnumerateDirectories(root, "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = FileAttributes.ReparsePoint }))
        {
            File.SetUnixFileMode(dir, (UnixFileMode)0b111_101_101);
        }
    }

    private static List<string> Applets()
    {
        using var p = Process.Start(new ProcessStartInfo(BusyboxPath, "--list") { RedirectStandardOutput = true })!;
        var output = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        return [.. output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)];
    }
}
