using System.Diagnostics;
using CvmfsImages.TestSupport;

namespace CvmfsImages.Tests.Runtime.EndToEnd;

/// <summary>
/// The command as it ships: <c>dotnet publish Runtime -f net9.0 -c Release -r linux-x64</c> (NativeAOT front end and
/// static starter) into a temp folder, once, then a <see cref="FrontEndSandbox"/> around it. The other end-to-end
/// tests run the net10.0 build; these catch what only the AOT build can break (libc calls bound at link time,
/// trimming). The publish takes a minute or two.
/// </summary>
public sealed class NativeAotFrontEnd : IDisposable
{
    private static readonly TimeSpan PublishTimeout = TimeSpan.FromMinutes(15);
    private readonly TempDirectory _out = new("rt-aot");

    public NativeAotFrontEnd()
    {
        if (CvmfsImages.Runtime.Native.Libc.GetUid() != 0)
        {
            SkipReason = "end-to-end runtime tests need root, to drop to nobody with setpriv and to own the test config (CI runs as root)";
            return;
        }

        var project = FindProject();
        var folder = _out.Combine("publish");
        var info = new ProcessStartInfo("dotnet", ["publish", project, "-f", "net9.0", "-c", "Release", "-r", "linux-x64", "-o", folder, "-nologo", "-clp:NoSummary"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(PublishTimeout))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"dotnet publish did not finish within {PublishTimeout}");
        }

        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"dotnet publish {project} failed ({process.ExitCode}): {stdout.Result}\n{stderr.Result}");
        }

        Sandbox = new FrontEndSandbox(folder);
    }

    public string? SkipReason { get; }

    public FrontEndSandbox? Sandbox { get; }

    public FrontEndSandbox Require()
    {
        if (SkipReason is not null)
        {
            RequiredTool.SkipOrFail(SkipReason);
        }

        Sandbox!.RequireReady();
        return Sandbox;
    }

    public void Dispose()
    {
        Sandbox?.Dispose();
        _out.Dispose();
    }

    private static string FindProject()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "Runtime", "Runtime.csproj");
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new FileNotFoundException("Runtime/Runtime.csproj not found above " + AppContext.BaseDirectory);
    }
}
