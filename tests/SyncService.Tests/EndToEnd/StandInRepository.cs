using System.Diagnostics;
using CvmfsImages.TestSupport;
using Xunit;

namespace CvmfsImages.Tests.SyncService.EndToEnd;

/// <summary>
/// A CVMFS repository made by the cvmfs_server stand-in (tests/cvmfs-server-standin) in a temp folder, for syncs
/// through the <c>cvmfs_server</c> backend. Its wrapper can hold the next <c>publish</c> (the transaction is open and
/// every change is written; <c>cvmfs_server publish</c> is running) until the caller releases it (or ten minutes
/// pass: then that publish fails), to signal the service at exactly that point.
/// </summary>
internal sealed class StandInRepository : IDisposable
{
    public const string Name = "sync.test.org";

    private readonly TempDirectory _dir = new("sync-standin");

    public StandInRepository()
    {
        Directory.CreateDirectory(_dir.Combine("bin"));
        Directory.CreateDirectory(Staging);
        File.WriteAllText(Wrapper, $$"""
            #!/bin/bash
            export CVMFS_STANDIN_MOUNT_ROOT='{{MountRoot}}' CVMFS_STANDIN_SPOOL='{{Spool}}'
            if [ "${1:-}" = publish ] && [ -e '{{HoldFile}}' ]; then
              rm -f '{{HoldFile}}'
              echo "$$" > '{{HeldFile}}'
              for _ in $(seq 6000); do [ -e '{{ReleaseFile}}' ] && break; sleep 0.1; done
              [ -e '{{ReleaseFile}}' ] || exit 1
            fi
            exec bash '{{StandInPath()}}' "$@"
            """);
        File.SetUnixFileMode(Wrapper, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        Run("mkfs", Name);
    }

    public string Wrapper => _dir.Combine("bin", "cvmfs_server");

    public string MountRoot => _dir.Combine("cvmfs");

    public string Spool => _dir.Combine("spool");

    public string Staging => _dir.Combine("staging");

    /// <summary>The published tree, as worker nodes see it.</summary>
    public string Tree => Path.Combine(MountRoot, Name);

    /// <summary>Present while the stand-in has a transaction open.</summary>
    public string TransactionMarker => Path.Combine(Spool, Name, "in_transaction.lock");

    /// <summary>Written (with the pid) when a held publish has started.</summary>
    public string HeldFile => _dir.Combine("publish.held");

    private string HoldFile => _dir.Combine("publish.hold");

    private string ReleaseFile => _dir.Combine("publish.release");

    /// <summary>The settings that point a sync at this repository.</summary>
    public string[] Settings =>
    [
        "Publisher:Backend=cvmfs_server",
        "Publisher:RepositoryName=" + Name,
        "Publisher:CvmfsServerPath=" + Wrapper,
        "Publisher:MountRoot=" + MountRoot,
        "Publisher:StagingDirectory=" + Staging,
    ];

    /// <summary>The next <c>cvmfs_server publish</c> blocks (after writing <see cref="HeldFile"/>) until <see cref="ReleaseHeldPublish"/>.</summary>
    public void HoldNextPublish() => File.WriteAllText(HoldFile, "hold\n");

    /// <summary>The held <c>cvmfs_server publish</c> goes on and publishes.</summary>
    public void ReleaseHeldPublish() => File.WriteAllText(ReleaseFile, "release\n");

    public void Dispose()
    {
        try
        {
            Run("rmfs", "-f", Name);
        }
        finally
        {
            _dir.Dispose();
        }
    }

    public void Run(params string[] arguments)
    {
        using var process = Process.Start(new ProcessStartInfo(Wrapper, arguments) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        var output = process.StandardOutput.ReadToEnd() + process.StandardError.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"cvmfs_server {string.Join(' ', arguments)} (stand-in) failed: {output}");
    }

    private static string StandInPath()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "tests", "cvmfs-server-standin", "cvmfs_server");
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new FileNotFoundException("tests/cvmfs-server-standin/cvmfs_server not found above " + AppContext.BaseDirectory);
    }
}
