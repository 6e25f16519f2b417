using System.Diagnostics;
using CvmfsImages.TestSupport;

namespace CvmfsImages.Tests.Runtime.Support;

/// <summary>Compiles the tests' C helpers (next to the test binary) into an image's /bin.</summary>
public static class NativeHelper
{
    /// <summary><c>Support/cma-probe.c</c>, linked statically (the busybox images have no libc), as IMAGE/bin/cma-probe.</summary>
    public static string BuildCmaProbe(string image) =>
        Compile(RequiredTool.Require("gcc", "gcc"), "cma-probe.c", Path.Combine(image, "bin", "cma-probe"), "-static", "-O2", "-Wall", "-Werror");

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
