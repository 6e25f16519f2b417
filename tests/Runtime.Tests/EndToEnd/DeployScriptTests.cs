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
    public void Install_setuid_adds_the_setuid_starter_and_allow_setuid_and_a_plain_install_takes_it_away()
    {
        File.WriteAllText(Path.Combine(_build, "starter-suid"), "#!/bin/sh\nexit 0\n");
        File.WriteAllText(Path.Combine(_build, "singularity.conf"), "mount proc = yes\n# allow setuid = yes is a comment\nallow  setuid = no\nmount sys = yes\n");
        var suid = Path.Combine(_stage, "usr/libexec/cvmfs-images/starter-suid");
        var conf = Path.Combine(_stage, "etc/cvmfs-images/singularity.conf");

        // The default install has no setuid part, and leaves allow setuid alone.
        var r = Script("install", _build);
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.False(File.Exists(suid));
        Assert.Contains("allow  setuid = no\n", File.ReadAllText(conf), StringComparison.Ordinal);

        r = Script("install", "--setuid", _build);
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Equal(UnixFileMode.SetUser | (UnixFileMode)0b111_101_101, File.GetUnixFileMode(suid));
        if (CvmfsImages.Runtime.Native.Libc.GetUid() == 0)
        {
            Assert.Equal(0u, CvmfsImages.Runtime.Native.FileStatus.Of(suid).Uid);
        }

        // The key's line is replaced (not the comment), the rest of the site's file kept, owner and mode too.
        Assert.Equal("mount proc = yes\n# allow setuid = yes is a comment\nallow setuid = yes\nmount sys = yes\n", File.ReadAllText(conf));
        Assert.Equal((UnixFileMode)0b110_100_100, File.GetUnixFileMode(conf));
        Assert.Contains($"set 'allow setuid = yes' in {Path.GetDirectoryName(conf)}/singularity.conf", r.Stdout, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(Path.GetDirectoryName(suid)!, ".starter-suid.new")));

        // A config without the key gets it appended.
        File.WriteAllText(conf, "mount proc = no\n");
        Assert.Equal(0, Script("install", "--setuid", _build).ExitCode);
        Assert.Equal("mount proc = no\nallow setuid = yes\n", File.ReadAllText(conf));

        // A plain reinstall removes the setuid file a --setuid install left, and says so.
        r = Script("install", _build);
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.False(File.Exists(suid));
        Assert.Contains($"removed the setuid starter {suid}", r.Stdout, StringComparison.Ordinal);

        // --setuid without the setuid build in the folder is refused before anything is written.
        File.Delete(Path.Combine(_build, "starter-suid"));
        r = Script("install", "--setuid", _build);
        Assert.Equal(1, r.ExitCode);
        Assert.Contains($"{_build}/starter-suid is missing", r.Stderr, StringComparison.Ordinal);
        Assert.False(File.Exists(suid));

        Assert.Equal(0, Script("uninstall").ExitCode);
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

    [Fact]
    public void APPARMOR_yes_installs_the_starter_s_profile_and_uninstall_removes_it()
    {
        var r = ScriptWith(new() { ["APPARMOR"] = "yes" }, "install", _build);
        var profile = Path.Combine(_stage, "etc/apparmor.d/cvmfs-images-starter");

        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Equal(File.ReadAllText(RepositoryFile("deploy/apparmor.d/cvmfs-images-starter")), File.ReadAllText(profile));
        Assert.Equal((UnixFileMode)0b110_100_100, File.GetUnixFileMode(profile));
        // Staged with DESTDIR: written, never loaded into the running kernel.
        Assert.Contains($"installed the AppArmor profile {profile} (not loaded", r.Stdout, StringComparison.Ordinal);

        r = Script("uninstall");
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.False(File.Exists(profile));
        Assert.Contains($"removed the AppArmor profile {profile}", r.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void By_default_the_profile_is_installed_only_where_AppArmor_restricts_user_namespaces()
    {
        var restricting = File.Exists("/proc/sys/kernel/apparmor_restrict_unprivileged_userns")
            && File.Exists("/sys/module/apparmor/parameters/enabled") && File.ReadAllText("/sys/module/apparmor/parameters/enabled").Trim() == "Y";

        var r = Script("install", _build);
        var none = ScriptWith(new() { ["APPARMOR"] = "no" }, "install", _build);

        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Equal(restricting, File.Exists(Path.Combine(_stage, "etc/apparmor.d/cvmfs-images-starter")));
        Assert.True(none.ExitCode == 0, none.ToString());
        Assert.DoesNotContain("AppArmor", none.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void A_bad_APPARMOR_value_is_refused_before_anything_is_written()
    {
        var r = ScriptWith(new() { ["APPARMOR"] = "sometimes" }, "install", _build);

        Assert.Equal(1, r.ExitCode);
        Assert.Contains("APPARMOR must be auto, yes or no, not 'sometimes'", r.Stderr, StringComparison.Ordinal);
        Assert.False(Directory.Exists(_stage));
    }

    [Fact]
    public void The_profile_passes_apparmor_parser_and_attaches_to_the_installed_starter_with_the_userns_rule()
    {
        var parser = RequiredTool.Require("apparmor_parser", "apparmor");
        var text = File.ReadAllText(RepositoryFile("deploy/apparmor.d/cvmfs-images-starter"));
        Assert.Contains("\nabi <abi/4.0>,\n", text, StringComparison.Ordinal);
        Assert.Contains("\nprofile cvmfs-images-starter /usr/libexec/cvmfs-images/starter flags=(unconfined) {\n  userns,\n", text, StringComparison.Ordinal);
        Assert.Contains("libexec=$destdir/usr/libexec/cvmfs-images", File.ReadAllText(RepositoryFile("deploy/install-worker-node.sh")), StringComparison.Ordinal);

        // AppArmor 4 (Ubuntu 23.10+) parses the file as shipped. Debian 12's parser (3.0) knows neither the 4.0 ABI nor
        // the userns rule: it checks everything else (includes, attachment, flags, syntax), the ABI line set to 3.0.
        var native = File.Exists("/etc/apparmor.d/abi/4.0");
        var checkedText = native ? text : text.Replace("abi <abi/4.0>,", "abi <abi/3.0>,", StringComparison.Ordinal).Replace("  userns,\n", string.Empty, StringComparison.Ordinal);
        var r = Parse(parser, checkedText);
        Assert.True(r.ExitCode == 0, r.ToString());

        // The check can fail: the same profile with its closing brace lost is rejected.
        Assert.NotEqual(0, Parse(parser, checkedText[..checkedText.LastIndexOf('}')]).ExitCode);
    }

    private RunResult Parse(string parser, string profile)
    {
        var file = _dir.Combine("profile-" + Guid.NewGuid().ToString("N"));
        File.WriteAllText(file, profile);
        var info = new ProcessStartInfo(parser) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { "-Q", "-K", file })
        {
            info.ArgumentList.Add(a);
        }

        using var p = Process.Start(info)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEnd();
        p.WaitForExit();
        return new RunResult(p.ExitCode, stdout.Result, stderr);
    }

    private RunResult Script(params string[] args) => ScriptWith([], args);

    private RunResult ScriptWith(Dictionary<string, string> env, params string[] args)
    {
        var script = FindScript();
        var info = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(script);
        foreach (var a in args)
        {
            info.ArgumentList.Add(a);
        }

        info.Environment["DESTDIR"] = _stage;
        foreach (var (key, value) in env)
        {
            info.Environment[key] = value;
        }

        using var p = Process.Start(info)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEnd();
        p.WaitForExit();
        return new RunResult(p.ExitCode, stdout.Result, stderr);
    }

    private static string FindScript() => RepositoryFile("deploy/install-worker-node.sh");

    private static string RepositoryFile(string relative)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, relative);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new InvalidOperationException(relative + " not found above " + AppContext.BaseDirectory);
    }
}
