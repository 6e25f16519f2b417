using Xunit;
using System.Diagnostics;
using CvmfsImages.Publisher.Publishing;
using CvmfsImages.TestSupport;

namespace CvmfsImages.Tests.CvmfsPublisher.Publishing;

/// <summary>
/// A repository for one test: a plain directory, or a CVMFS repository made by the cvmfs_server stand-in
/// (tests/cvmfs-server-standin) in copy or ingest mode. Each gets its own wrapper script that points the stand-in
/// at the test's temp folder and reads failure injection from a file the test can change between calls.
/// </summary>
internal sealed class TestRepository : IDisposable
{
    public const string Directory = "directory";
    public const string Cvmfs = "cvmfs";
    public const string Ingest = "ingest";
    public const string RepositoryName = "images.test.org";

    private readonly TempDirectory temp = new("cvmfs-publish");

    public TestRepository(string kind)
    {
        Kind = kind;
        if (kind == Directory)
        {
            System.IO.Directory.CreateDirectory(temp.Combine("root"));
            return;
        }

        var standIn = StandInPath();
        System.IO.Directory.CreateDirectory(temp.Combine("bin"));
        File.WriteAllText(Wrapper, $"""
            #!/bin/bash
            export CVMFS_STANDIN_MOUNT_ROOT='{temp.Combine("cvmfs")}' CVMFS_STANDIN_SPOOL='{temp.Combine("spool")}'
            [ -f '{FailureFile}' ] && . '{FailureFile}'
            exec bash '{standIn}' "$@"
            """);
        File.SetUnixFileMode(Wrapper, (UnixFileMode)0x1ED);
        RunStandIn("mkfs", RepositoryName).AssertSuccess();
    }

    public string Kind { get; }

    public string Wrapper => temp.Combine("bin", "cvmfs_server");

    public string FailureFile => temp.Combine("fail.env");

    /// <summary>The stand-in's "in a transaction" marker (its spool), for tests that must see a transaction open.</summary>
    public string StandInTransactionMarker => temp.Combine("spool", RepositoryName, "in_transaction.lock");

    public string TreeRoot => Kind == Directory ? temp.Combine("root") : temp.Combine("cvmfs", RepositoryName);

    public string StagingDirectory => Kind == Directory ? Path.Combine(TreeRoot, ".staging") : temp.Combine("staging");

    public static TheoryData<string> Kinds => [Directory, Cvmfs, Ingest];

    public static TheoryData<string> CvmfsKinds => [Cvmfs, Ingest];

    public PublisherOptions Options(Action<PublisherOptions>? configure = null)
    {
        var options = Kind == Directory
            ? new PublisherOptions { Backend = PublisherBackends.Directory, Root = TreeRoot }
            : new PublisherOptions
            {
                Backend = PublisherBackends.CvmfsServer,
                RepositoryName = RepositoryName,
                CvmfsServerPath = Wrapper,
                MountRoot = temp.Combine("cvmfs"),
                StagingDirectory = StagingDirectory,
                UseIngest = Kind == Ingest,
            };
        configure?.Invoke(options);
        return options;
    }

    public CvmfsRepository Open(TimeProvider? time = null, Action<PublisherOptions>? configure = null) => new(Options(configure), null, time);

    /// <summary>Makes the named stand-in subcommands fail (comma-separated), optionally only for paths containing <paramref name="path"/>.</summary>
    public void InjectFailure(string? subcommands, string? path = null)
    {
        if (subcommands is null)
        {
            File.Delete(FailureFile);
            return;
        }

        File.WriteAllText(FailureFile, $"export CVMFS_STANDIN_FAIL='{subcommands}' CVMFS_STANDIN_FAIL_PATH='{path}'\n");
    }

    public StandInResult RunStandIn(params string[] arguments) => RunStandIn(null, arguments);

    public StandInResult RunStandIn(byte[]? input, params string[] arguments)
    {
        var start = new ProcessStartInfo(Wrapper, arguments)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (input is not null)
        {
            process.StandardInput.BaseStream.Write(input);
        }

        process.StandardInput.Close();
        process.WaitForExit();
        return new StandInResult(process.ExitCode, stdout.Result, stderr.Result);
    }

    public void Dispose()
    {
        if (Kind != Directory)
        {
            InjectFailure(null);
            RunStandIn("rmfs", "-f", RepositoryName);
        }

        temp.Dispose();
    }

    /// <summary>The stand-in script in the source tree (found upwards from the test binaries).</summary>
    public static string StandInPath()
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

internal sealed record StandInResult(int ExitCode, string StandardOutput, string StandardError)
{
    public void AssertSuccess() => Assert.True(ExitCode == 0, $"stand-in failed ({ExitCode}): {StandardError}{StandardOutput}");
}
