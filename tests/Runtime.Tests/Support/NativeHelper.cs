using System.Diagnostics;
using CvmfsImages.TestSupport;

namespace CvmfsImages.Tests.Runtime.Support;

/// <summary>Compiles the tests' C helpers (next to the test binary) into an image's /bin.</summary>
public static class NativeHelper
{
    /// <summary><c>Support/cma-probe.c</c>, linked statically (the busybox images have no libc), as IMAGE/bin/cma-probe.</summary>
    public static string BuildCmaProbe(string image) =>
        Compile(RequiredTool.Require("gcc", "gcc"), "cma-probe.c", Path.Combine(image, "bin", "cma-probe"), "-static", "-O2", "-Wall", "-Werror");

    /// <summary><c>Support/suid-probe.c</c> (the setuid attack tests' helper), linked statically, at <paramref name="output"/>.</summary>
    public static string BuildSuidProbe(string output) =>
        Compile(RequiredTool.Require("gcc", "gcc"), "suid-probe.c", output, "-static", "-O2", "-Wall", "-Werror");

    /// <summary>A shared library whose constructor creates <paramref name="marker"/> (an LD_PRELOAD that must not load).</summary>
    public static string BuildMarkerLibrary(string output, string marker)
    {
        var source = output + ".c";
        File.WriteAllText(source, $"#include <fcntl.h>\n#include <unistd.h>\n__attribute__((constructor)) static void mark(void) {{ close(open(\"{marker}\", O_CREAT | O_WRONLY, 0666)); }}\n");
        var info = new ProcessStartInfo(RequiredTool.Require("gcc", "gcc")) { RedirectStandardError = true, UseShellExecute = false };
        foreach (var word in new[] { "-shared", "-fPIC", "-O2", "-o", output, source })
        {
            info.ArgumentList.Add(word);
        }

        using var process = Process.Start(info)!;
        var stderr = process.StandardError.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"gcc -shared {source} failed: {stderr}");
        }

        File.SetUnixFileMode(output, (UnixFileMode)0b111_101_101);
        return output;
    }

    /// <summary><c>Support/mpi-ring.c</c> built with mpicc (dynamic: the host's Open MPI is bound in), as IMAGE/bin/mpi-ring.</summary>
    public static string BuildMpiRing(string image) =>
        Compile(RequiredTool.Require("mpicc", "libopenmpi-dev"), "mpi-ring.c", Path.Combine(image, "bin", "mpi-ring"), "-O2", "-Wall", "-Werror");

    private static string Compile(string compiler, string source, string output, params string[] flags)
    {
        var info = new ProcessStartInfo(compiler) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var flag in flags)
        {
            info.ArgumentList.Add(flag);
        }

        info.ArgumentList.Add("-o");
        info.ArgumentList.Add(output);
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Support", source));
        using var process = Process.Start(info)!;
        var stderr = process.StandardError.ReadToEndAsync();
        process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{compiler} {source} failed: {stderr.Result}");
        }

        File.SetUnixFileMode(output, (UnixFileMode)0b111_101_101);
        return output;
    }
}
