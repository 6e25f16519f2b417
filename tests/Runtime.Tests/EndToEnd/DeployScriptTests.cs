using System.Diagnostics;
using CvmfsImages.TestSupport;
using Xunit;

namespace CvmfsImages.Tests.Runtime.EndToEnd;

/// <summary>deploy/install-worker-node.sh, staged into a DESTDIR: what it installs, keeps, refuses and removes.</summary>
public sealed class DeployScriptTests : IDisposable
{
    private readonly TempDirectory _dir = new("rt-deploy");
    private readonly string _build;
    private readonly string _stage;

    public DeployScriptTests()
    {
        _build = Directory.CreateDirectory(_dir.Combine("build")).FullName;
        _stage = _dir.Combine("stage");
        // A stand-in for the published folder: the script is under test here, not the binary.
        File.WriteAllText(Path.Combine(_build, "singularity"), "#!/bin/sh\necho 'singularity version test'\n");
        File.WriteAllText(Path.Combine(_build, "starter"), "#!/bin/sh\nexit 0\n");
        File.WriteAllText(Path.Combine(_build, "singularity.conf"), "mount proc = yes\n");
        File.WriteAllText(Path.Combine(_build, "nvliblist.conf"), "libcuda.so\n");
    }

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void Install_keep_config_refuse_foreign_command_uninstall_and_purge()
    {
        var r = Script("install", _build);
        Assert.True(r.ExitCode == 0, r.ToString());
        var libexec = Path.Combine(_stage, "usr/libexec/cvmfs-images");
        Assert.Equal((UnixFileMode)0b111_101_101, File.GetUnixFileMode(Path.Combine(libexec, "singularity")));
        Assert.Equal((UnixFileMode)0b111_101_101, File.GetUnixFileMode(Path.Combine(libexec, "starter")));
        var conf = Path.Combine(_stage, "etc/cvmfs-images/singularity.conf");
        Assert.Equal((UnixFileMode)0b110_100_100, File.GetUnixFileMode(conf));
        Assert.Equal("/usr/libexec/cvmfs-images/singularity", new FileInfo(Path.Combine(_stage, "usr/local/bin/singularity")).LinkTarget);
        Assert.Contains("installed singularity version test", r.Stdout, StringComparison.Ordinal);

        // A site's edited config survives a reinstall; the shipped one lands beside it.
        File.WriteAllText(conf, "mount proc = no\n");
        r = Script("install", _build);
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Equal("mount proc = no\n", File.ReadAllText(conf));
        Assert.Equal("mount proc = yes\n", File.ReadAllText(conf + ".new"));

        r = Script("uninstall");
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.False(File.Exists(Path.Combine(libexec, "singularity")));
        Assert.False(File.Exists(Path.Combine(_stage, "usr/local/bin/singularity")));
        Assert.True(File.Exists(conf));
        Assert.Equal(0, Script("uninstall", "--purge").ExitCode);
        Assert.False(File.Exists(conf));

        // Another singularity (a real Singularity or Apptainer) is not replaced without FORCE=1.
        Directory.CreateDirectory(Path.Combine(_stage, "usr/local/bin"));
        File.WriteAllText(Path.Combine(_stage, "usr/local/bin/singularity"), "other");
        r = Script("install", _build);
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("exists and is not this runtime (set FORCE=1", r.Stderr, StringComparison.Ordinal);
        Assert.Equal("other", File.ReadAllText(Path.Combine(_stage, "usr/local/bin/singularity")));
    }

    [Fact]
    public void An_incomplete_build_folder_is_refused()
    {
        File.Delete(Path.Combine(_build, "starter"));
        var r = Script("install", _build);
        Assert.Equal(1, r.ExitCode);
        Assert.Contains($"{_build}/starter is missing", r.Stderr, StringComparison.Ordinal);
        Assert.False(Directory.Exists(_stage));
    }

    private RunResult Script(params string[] args)
    {
        var script = FindScript();
        var info = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(script);
        foreach (var a in args)
        {
            info.ArgumentList.Add(a);
        }

        info.Environment["DESTDIR"] = _stage;
        using var p = Process.Start(info)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEnd();
        p.WaitForExit();
        return new RunResult(p.ExitCode, stdout.Result, stderr);
    }

    private static string FindScript()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "deploy", "install-worker-node.sh");
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new InvalidOperationException("deploy/install-worker-node.sh not found above " + AppContext.BaseDirectory);
    }
}
