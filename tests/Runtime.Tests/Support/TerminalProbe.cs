using System.Diagnostics;
using CvmfsImages.TestSupport;

namespace CvmfsImages.Tests.Runtime.Support;

/// <summary>
/// A tiny static C program for images: it tries <c>ioctl(0, TIOCSTI)</c>, <c>ioctl(0, TIOCLINUX)</c> and
/// <c>ioctl(0, TCGETS)</c> and prints what each returned (<c>ok</c>, <c>EPERM</c>, <c>ENOTTY</c> or the errno number).
/// On a stdin that is not a terminal, an unfiltered TIOCSTI says ENOTTY and a filtered one EPERM.
/// </summary>
public static class TerminalProbe
{
    private const string Source = """
        #define _GNU_SOURCE
        #include <errno.h>
        #include <stdio.h>
        #include <sys/ioctl.h>
        #include <termios.h>
        static void report(const char *name, int result, int error)
        {
            if (result == 0) printf("%s ok\n", name);
            else if (error == EPERM) printf("%s EPERM\n", name);
            else if (error == ENOTTY) printf("%s ENOTTY\n", name);
            else printf("%s errno %d\n", name, error);
        }
        int main(void)
        {
            char c = 'x', subcode = 3;
            struct termios t;
            int r = ioctl(0, TIOCSTI, &c); report("TIOCSTI", r, errno);
            r = ioctl(0, TIOCLINUX, &subcode); report("TIOCLINUX", r, errno);
            r = ioctl(0, TCGETS, &t); report("TCGETS", r, errno);
            return 0;
        }
        """;

    /// <summary>Compiles the probe, statically linked, to <paramref name="path"/> (mode 0755).</summary>
    public static void Build(string path)
    {
        var gcc = RequiredTool.Require("gcc", "gcc libc6-dev");
        var source = path + ".c";
        File.WriteAllText(source, Source);
        using var process = Process.Start(new ProcessStartInfo(gcc, ["-static", "-O2", "-o", path, source]) { RedirectStandardError = true })!;
        var errors = process.StandardError.ReadToEnd();
        process.WaitForExit();
        File.Delete(source);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"gcc -static failed (is libc6-dev installed?): {errors}");
        }

        File.SetUnixFileMode(path, (UnixFileMode)0b111_101_101);
    }

    /// <summary>Runs the probe here, outside any container, with stdin not a terminal.</summary>
    public static string RunOnHost(string path)
    {
        using var process = Process.Start(new ProcessStartInfo(path) { RedirectStandardInput = true, RedirectStandardOutput = true })!;
        process.StandardInput.Close();
        var output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return output;
    }
}
