using System.Diagnostics;
using System.Globalization;
using System.Text;
using CvmfsImages.Tests.Runtime.Support;
using CvmfsImages.TestSupport;
using Xunit;

namespace CvmfsImages.Tests.Runtime.Starter;

/// <summary>
/// The setuid starter installed as a site installs it (root-owned 4755, compiled-in root-owned config, in a temp
/// prefix), the starter sandbox's images, and the attack helper (<c>Support/suid-probe.c</c>). Its own collection:
/// the tests rewrite the compiled-in config, so they run one at a time.
/// </summary>
public sealed class SetuidStarterFixture : IDisposable
{
    public SetuidStarterFixture()
    {
        Sandbox = new StarterSandbox();
        Prefix = new SetuidStarterPrefix();
        if (Prefix.SkipReason is null)
        {
            Probe = NativeHelper.BuildSuidProbe(Path.Combine(Sandbox.Root, "suid-probe"));
        }
    }

    public StarterSandbox Sandbox { get; }

    public SetuidStarterPrefix Prefix { get; }

    public string Probe { get; } = string.Empty;

    public void Require()
    {
        Sandbox.RequireReady();
        if (Prefix.SkipReason is { } reason)
        {
            RequiredTool.SkipOrFail(reason);
        }
    }

    public void Dispose()
    {
        Prefix.Dispose();
        Sandbox.Dispose();
    }
}

[CollectionDefinition(Name)]
public sealed class SetuidStarterTestGroup : ICollectionFixture<SetuidStarterFixture>
{
    public const string Name = "SetuidStarter";
}

/// <summary>
/// The attack list of issue 20 against the setuid starter, run as <c>nobody</c>. Each test asserts the concrete thing
/// that must not happen (a file's content never printed, uid 0 never reached, a marker never written), and where it
/// can, a control that shows the attack would have worked without the defence.
/// </summary>
[Collection(SetuidStarterTestGroup.Name)]
public sealed class SetuidAttackTests : IDisposable
{
    private const string Ran = "PAYLOAD-RAN";
    private readonly SetuidStarterFixture _f;
    private readonly StarterSandbox _s;
    private readonly List<string> _cleanup = [];
    // The build a test runs: the setuid mode with openat2 and mount_setattr, or (true) with the fallbacks of older
    // kernels (component walk, submounts one by one).
    private bool _walk;

    public SetuidAttackTests(SetuidStarterFixture fixture)
    {
        _f = fixture;
        _s = fixture.Sandbox;
        _f.Require();
        _f.Prefix.WriteConfig(SetuidStarterPrefix.DefaultConfig);
    }

    public void Dispose()
    {
        _f.Prefix.WriteConfig(SetuidStarterPrefix.DefaultConfig);
        foreach (var path in _cleanup)
        {
            Shell($"rm -rf '{path}'");
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Without_user_namespaces_the_payload_runs_as_the_caller_with_nothing_left_of_root(bool walk)
    {
        _walk = walk;
        var r = RunSuid([.. _s.Standard(pid: true), .. StarterSandbox.Shell("cat /proc/self/uid_map; grep -E '^(Uid|Gid|Groups|Cap[A-Za-z]+|NoNewPrivs):' /proc/self/status")]);

        Assert.True(r.ExitCode == 0, r.ToString());
        var lines = r.Stdout.Split('\n').Select(l => string.Join(' ', l.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries))).ToList();
        // No user namespace (the host's identity map): the setuid mode, not the unprivileged one.
        Assert.Equal("0 0 4294967295", lines[0]);
        Assert.Contains($"Uid: {_s.Uid} {_s.Uid} {_s.Uid} {_s.Uid}", lines);
        Assert.Contains($"Gid: {_s.Gid} {_s.Gid} {_s.Gid} {_s.Gid}", lines);
        Assert.Contains("Groups:", lines);
        foreach (var set in new[] { "CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb" })
        {
            Assert.Contains($"{set}: 0000000000000000", lines);
        }

        Assert.Contains("NoNewPrivs: 1", lines);
    }

    [Fact]
    public void Where_unprivileged_user_namespaces_work_the_setuid_starter_drops_root_and_uses_one()
    {
        var r = _s.Run([.. _s.Standard(pid: false), .. StarterSandbox.Shell("cat /proc/self/uid_map; grep -E '^(Uid|CapBnd):' /proc/self/status")], starter: _f.Prefix.Starter);

        Assert.True(r.ExitCode == 0, r.ToString());
        var lines = r.Stdout.Split('\n').Select(l => string.Join(' ', l.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries))).ToList();
        Assert.Equal($"{_s.Uid} {_s.Uid} 1", lines[0]);
        Assert.Contains($"Uid: {_s.Uid} {_s.Uid} {_s.Uid} {_s.Uid}", lines);
    }

    [Theory]
    [InlineData("allow setuid = no\n", "'allow setuid = no'")]
    [InlineData("mount proc = yes\n", "'allow setuid = no'")]
    [InlineData("allow setuid = maybe\n", "'allow setuid' must be yes or no")]
    [InlineData("allow setuid = yes\nthis line has no equals sign\n", "line 2: expected 'key = value'")]
    public void The_setuid_starter_runs_only_when_the_root_owned_config_says_allow_setuid_yes(string config, string message)
    {
        _f.Prefix.WriteConfig(config);

        var r = RunSuid(Payload());

        AssertRefused(r, message);
    }

    [Fact]
    public void LD_PRELOAD_LD_LIBRARY_PATH_GLIBC_TUNABLES_and_MALLOC_from_the_caller_reach_neither_the_starter_nor_the_payload()
    {
        var dir = _s.CreateFolder("preload-" + Guid.NewGuid().ToString("N"), worldWritable: true);
        var marker = Path.Combine(dir, "loaded");
        var library = NativeHelper.BuildMarkerLibrary(Path.Combine(dir, "libmark.so"), marker);
        var environment = new Dictionary<string, string>
        {
            ["LD_PRELOAD"] = library,
            ["LD_LIBRARY_PATH"] = dir,
            ["LD_AUDIT"] = library,
            ["GLIBC_TUNABLES"] = "glibc.malloc.check=3:glibc.malloc.mmap_threshold=1:glibc.malloc.tcache_count=0",
            ["MALLOC_CHECK_"] = "3",
            ["MALLOC_PERTURB_"] = "85",
        };

        // Control: the same variables make a dynamic program run the library (as nobody), so the marker can appear.
        Shell($"env LD_PRELOAD={library} setpriv --reuid={_s.Uid} --regid={_s.Gid} --clear-groups /bin/true");
        Assert.True(File.Exists(marker), "control: LD_PRELOAD did not load the marker library into a dynamic program");
        File.Delete(marker);

        var r = RunSuid([.. _s.Standard(pid: false), .. StarterSandbox.Shell("env; echo " + Ran)], environment: environment);

        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Contains(Ran, r.Stdout, StringComparison.Ordinal);
        Assert.False(File.Exists(marker), "the caller's LD_PRELOAD library ran in the setuid starter");
        foreach (var name in environment.Keys)
        {
            Assert.DoesNotContain(name + "=", r.Stdout, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void An_empty_argv_is_refused()
    {
        // Linux 5.18+ turns argc 0 into one empty argv[0]; older kernels pass argc 0. Both are refused.
        var r = AsNobody(_f.Probe, "empty-argv", _f.Prefix.NoUserns);

        Assert.Equal(255, r.ExitCode);
        Assert.Contains("FATAL:   starter: refusing to run with an empty argv", r.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("execve=", r.Stdout, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("owner", "not owned by root (uid 65534)")]
    [InlineData("group-writable", "writable by group or others")]
    [InlineData("other-writable", "writable by group or others")]
    [InlineData("directory-owner", "is not owned by root")]
    [InlineData("directory-writable", "is writable by group or others")]
    public void A_config_the_user_owns_or_could_write_is_not_trusted(string how, string message)
    {
        var etc = _f.Prefix.Etc;
        var config = _f.Prefix.ConfigPath;
        try
        {
            Shell(how switch
            {
                "owner" => $"chown {_s.Uid} '{config}'",
                "group-writable" => $"chmod 0664 '{config}'",
                "other-writable" => $"chmod 0646 '{config}'",
                "directory-owner" => $"chown {_s.Uid} '{etc}'",
                _ => $"chmod 0777 '{etc}'",
            });

            var r = RunSuid(Payload());

            AssertRefused(r, message);
        }
        finally
        {
            Shell($"chown 0:0 '{etc}' '{config}'; chmod 0755 '{etc}'; chmod 0644 '{config}'");
        }

        // Control: restored, the same run works.
        Assert.Contains(Ran, RunSuid(Payload()).Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void A_config_reached_through_a_symlink_the_user_controls_is_not_trusted()
    {
        // The user's directory holds a root-owned config that would loosen the policy; etc becomes a link to it.
        var theirs = _s.CreateFolder("their-etc-" + Guid.NewGuid().ToString("N"));
        File.WriteAllText(Path.Combine(theirs, "singularity.conf"), "allow setuid = yes\n");
        File.SetUnixFileMode(Path.Combine(theirs, "singularity.conf"), (UnixFileMode)0b110_100_100);
        Shell($"chown {_s.Uid} '{theirs}'");
        var etc = _f.Prefix.Etc;
        var moved = etc + ".real";
        _f.Prefix.WriteConfig("allow setuid = no\n");
        try
        {
            Directory.Move(etc, moved);
            File.CreateSymbolicLink(etc, theirs);

            var r = RunSuid(Payload());

            AssertRefused(r, $"{etc} is a symbolic link");
        }
        finally
        {
            File.Delete(etc);
            Directory.Move(moved, etc);
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_bind_source_the_user_cannot_read_is_refused_and_its_content_never_shown(bool walk)
    {
        _walk = walk;
        var secret = SecretTree();
        var readable = _s.CreateFolder("readable-" + Guid.NewGuid().ToString("N"));
        File.WriteAllText(Path.Combine(readable, "file"), "harmless\n");
        File.SetUnixFileMode(Path.Combine(readable, "file"), (UnixFileMode)0b110_100_100);

        // Control: a readable source binds and shows its file.
        var ok = RunSuid([.. _s.Standard(pid: false), "BIND", readable, "/opt", "ro", .. StarterSandbox.Shell("cat /opt/file")]);
        Assert.True(ok.ExitCode == 0, ok.ToString());
        Assert.Equal("harmless\n", ok.Stdout);

        // A world-readable directory beneath root's 0700 one: only root could reach it.
        var hidden = RunSuid([.. _s.Standard(pid: false), "BIND", secret.Public, "/opt", "ro", .. StarterSandbox.Shell("cat /opt/secret; echo " + Ran)]);
        AssertRefused(hidden, $"cannot resolve {secret.Public} on the host: Permission denied");
        Assert.DoesNotContain(secret.Text, hidden.Stdout, StringComparison.Ordinal);

        // /etc/shadow (root:shadow 0640): the caller can reach it but not read it.
        if (File.Exists("/etc/shadow"))
        {
            var shadow = RunSuid([.. _s.Standard(pid: false), "TMPFS", "/tmp", "0", "MKFILE", "/tmp/shadow", "BIND", "/etc/shadow", "/tmp/shadow", "ro", .. StarterSandbox.Shell("cat /tmp/shadow; echo " + Ran)]);
            AssertRefused(shadow, "/etc/shadow is not readable by the calling user");
            Assert.DoesNotContain("root:", shadow.Stdout, StringComparison.Ordinal);
        }

        // /root, when it is root's alone (0700).
        if ((File.GetUnixFileMode("/root") & (UnixFileMode.OtherRead | UnixFileMode.OtherExecute)) == 0)
        {
            var root = RunSuid([.. _s.Standard(pid: false), "BIND", "/root", "/opt", "ro", .. StarterSandbox.Shell("ls -a /opt; echo " + Ran)]);
            AssertRefused(root, "/root is not readable by the calling user");
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_bind_source_swapped_for_a_symlink_between_check_and_use_never_exposes_its_target(bool walk)
    {
        _walk = walk;
        var secret = SecretTree();
        // race/cur/src is a real directory or a link to the secret, swapped atomically (RENAME_EXCHANGE of cur and
        // alt) by the user, as fast as it can, while the starter binds race/cur/src again and again.
        var race = _s.CreateFolder("race-" + Guid.NewGuid().ToString("N"), worldWritable: true);
        Shell($"mkdir -p '{race}/cur/src' '{race}/alt' && echo harmless > '{race}/cur/src/secret' && ln -s '{secret.Public}' '{race}/alt/src' && chown -R {_s.Uid} '{race}'");
        using var swapper = StartAsNobody(_f.Probe, "swap", $"{race}/cur", $"{race}/alt", "30");
        var harmless = 0;
        var refused = 0;
        try
        {
            for (var i = 0; i < 150; i++)
            {
                var r = RunSuid([.. _s.Standard(pid: false), "BIND", $"{race}/cur/src", "/opt", "ro", .. StarterSandbox.Shell("cat /opt/secret")]);
                Assert.DoesNotContain(secret.Text, r.Stdout, StringComparison.Ordinal);
                harmless += r.Stdout == "harmless\n" ? 1 : 0;
                refused += r.ExitCode == 255 ? 1 : 0;
            }
        }
        finally
        {
            swapper.Kill();
            swapper.WaitForExit();
        }

        // The race was live: both states were seen (the swap runs throughout).
        Assert.True(harmless > 0, $"no run bound the real directory ({refused} refused)");
        Assert.True(refused > 0, $"no run met the link ({harmless} bound the real directory)");
    }

    [Theory]
    [InlineData("abs", "/etc", false)]
    [InlineData("rel", "../etc", false)]
    [InlineData("up", "../../../../../../etc", false)]
    [InlineData("abs", "/etc", true)]
    [InlineData("rel", "../etc", true)]
    [InlineData("up", "../../../../../../etc", true)]
    public void A_bind_destination_behind_a_symlink_in_a_user_writable_image_is_refused(string name, string target, bool walk)
    {
        _walk = walk;
        var image = UserOwnedImage();
        Shell($"ln -s '{target}' '{image}/opt/{name}' && chown -h {_s.Uid} '{image}/opt/{name}'");
        var data = _s.CreateFolder("data-" + Guid.NewGuid().ToString("N"));
        File.WriteAllText(Path.Combine(data, "planted"), "planted\n");
        File.SetUnixFileMode(Path.Combine(data, "planted"), (UnixFileMode)0b110_100_100);

        var r = RunSuid([.. _s.Standard(pid: false, image), "BIND", data, $"/opt/{name}", "ro", .. StarterSandbox.Shell("ls /etc; echo " + Ran)]);

        AssertRefused(r, $"cannot resolve /opt/{name} inside the image: Too many levels of symbolic links");
        Assert.False(File.Exists("/etc/planted"));

        // And spelt with "..": refused before anything is resolved.
        var dots = RunSuid([.. _s.Standard(pid: false, image), "BIND", data, "/opt/../../etc", "ro", .. Echo()]);
        AssertRefused(dots, "takes paths only in canonical form");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_proc_self_fd_path_is_neither_a_bind_source_nor_a_working_directory(bool walk)
    {
        _walk = walk;
        var r = RunSuid([.. _s.Standard(pid: false), "BIND", "/proc/self/fd/3", "/opt", "ro", .. Echo()]);
        AssertRefused(r, "cannot resolve /proc/self/fd/3 on the host: Too many levels of symbolic links");

        var root = RunSuid([.. _s.Standard(pid: false), "BIND", "/proc/self/root", "/opt", "ro", .. Echo()]);
        AssertRefused(root, "cannot resolve /proc/self/root on the host");

        // As a working directory: applied after the drop with no fd of the setup left, so nothing leads out.
        var cwd = RunSuid([.. _s.Standard(pid: false), "CHDIR", "/proc/self/fd/3", "CHDIR", "/proc/self/fd/4", "CHDIR", "/", .. StarterSandbox.Shell("pwd; ls /")]);
        Assert.True(cwd.ExitCode == 0, cwd.ToString());
        Assert.StartsWith("/\n", cwd.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("usr", cwd.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void The_privileged_starter_cannot_be_traced_or_read_and_signals_do_not_give_root()
    {
        using var blocked = new BlockedStarter(this);
        Assert.Matches($"^Uid:\\s+{_s.Uid}\\s+0\\s+0\\s+{_s.Uid}$", blocked.StatusLine("Uid:"));

        // Control: without Yama (or with ptrace_scope 0) nobody may trace and read its own plain process.
        var yama = "/proc/sys/kernel/yama/ptrace_scope";
        if (!File.Exists(yama) || File.ReadAllText(yama).Trim() == "0")
        {
            using var plain = StartAsNobody("/bin/sleep", "30");
            Assert.True(StarterSandbox.PollUntil(() => File.ReadAllText($"/proc/{plain.Id}/comm").Trim() == "sleep", TimeSpan.FromSeconds(20)));
            var control = AsNobody(_f.Probe, "ptrace", plain.Id.ToString(CultureInfo.InvariantCulture));
            plain.Kill();
            Assert.Equal("ptrace=ok\nmem=ok\nenviron=ok\n", control.Stdout);
        }

        var probe = AsNobody(_f.Probe, "ptrace", blocked.Pid.ToString(CultureInfo.InvariantCulture));
        Assert.Contains("ptrace=EPERM\n", probe.Stdout, StringComparison.Ordinal);
        Assert.Contains("mem=EACCES\n", probe.Stdout, StringComparison.Ordinal);
        Assert.Contains("environ=EACCES\n", probe.Stdout, StringComparison.Ordinal);

        // Stop, continue and the ignored-by-default signals: the setup goes on, and ends as the caller.
        foreach (var signal in new[] { "STOP", "CONT", "TSTP", "CONT", "TTIN", "CONT", "WINCH", "URG", "CHLD" })
        {
            Assert.Equal(0, AsNobody("/bin/sh", "-c", $"kill -s {signal} {blocked.Pid}").ExitCode);
        }

        var r = blocked.Finish([.. _s.Standard(pid: false), .. StarterSandbox.Exec("/bin/sh", "-c", "grep -E '^(Uid|CapEff):' /proc/self/status")]);
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Matches($"Uid:\\s+{_s.Uid}\\s+{_s.Uid}\\s+{_s.Uid}\\s+{_s.Uid}\n", r.Stdout);
        Assert.Contains("CapEff:\t0000000000000000", r.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void A_core_dumping_signal_to_the_privileged_starter_kills_it_without_a_core_file()
    {
        var dir = _s.CreateFolder("cores-" + Guid.NewGuid().ToString("N"), worldWritable: true);
        using var blocked = new BlockedStarter(this, cwd: dir);
        Assert.Equal(0, AsNobody("/bin/sh", "-c", $"kill -s SEGV {blocked.Pid}").ExitCode);

        var r = blocked.Finish(null);

        Assert.Equal(128 + 11, r.ExitCode);
        Assert.Empty(Directory.GetFiles(dir));

        // Control: where the kernel writes cores into the working directory, nobody's own process does dump one there.
        if (File.ReadAllText("/proc/sys/kernel/core_pattern").Trim() is "core" or "core.%p")
        {
            AsNobody("/bin/sh", "-c", $"cd '{dir}' && ulimit -c unlimited && /bin/sh -c 'kill -s SEGV $$'");
            Assert.NotEmpty(Directory.GetFiles(dir));
        }
    }

    [Fact]
    public void A_setuid_binary_in_the_image_or_a_bound_directory_stays_inert()
    {
        var image = _s.CreateImage("img-suid-" + Guid.NewGuid().ToString("N"));
        _cleanup.Add(image);
        var inImage = Path.Combine(image, "bin", "suid-probe");
        File.Copy(_f.Probe, inImage);
        File.SetUnixFileMode(inImage, SetuidStarterPrefix.Mode4755);
        var bound = _s.CreateFolder("suid-bin-" + Guid.NewGuid().ToString("N"));
        File.Copy(_f.Probe, Path.Combine(bound, "suid-probe"));
        File.SetUnixFileMode(Path.Combine(bound, "suid-probe"), SetuidStarterPrefix.Mode4755);

        // Control: on the host the file does make nobody root.
        Assert.Contains($"ids={_s.Uid},0,0:", AsNobody(inImage, "ids").Stdout, StringComparison.Ordinal);

        var r = RunSuid([.. _s.Standard(pid: false, image), "BIND", bound, "/opt", "ro", .. StarterSandbox.Shell("/bin/suid-probe ids; /opt/suid-probe ids; cat /proc/self/mountinfo")]);

        Assert.True(r.ExitCode == 0, r.ToString());
        var expected = $"ids={_s.Uid},{_s.Uid},{_s.Uid}:{_s.Gid},{_s.Gid},{_s.Gid}";
        Assert.Equal([expected, expected], r.Stdout.Split('\n').Where(l => l.StartsWith("ids=", StringComparison.Ordinal)));
        var mounts = r.Stdout.Split('\n').Select(l => l.Split(' ')).Where(f => f.Length > 5 && f[4] is "/" or "/opt").ToList();
        Assert.Equal(2, mounts.Count);
        foreach (var mount in mounts.Select(f => f[5]))
        {
            Assert.Contains("nosuid", mount, StringComparison.Ordinal);
            Assert.Contains("nodev", mount, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_read_only_host_mount_bound_read_write_stays_read_only(bool walk)
    {
        _walk = walk;
        // The host (here a private mount namespace of the test) has a world-writable directory bound read-only; the
        // op list binds it rw. Root could lift the read-only flag in its remount; the starter keeps it.
        var dir = _s.CreateFolder("ro-host-" + Guid.NewGuid().ToString("N"), worldWritable: true);
        // With a read-write tmpfs submount: it stays read-write, and gets nosuid,nodev too (mount_setattr, or the
        // walk build's submount-by-submount remount, which resolves the submount's path without links).
        Directory.CreateDirectory(Path.Combine(dir, "sub"));
        var setup = $"mount --bind '{dir}' '{dir}' && mount -o remount,bind,ro '{dir}' && mount -t tmpfs -o mode=0777 sub '{dir}/sub'";

        var r = _s.Run([.. _s.Standard(pid: false), "BIND", dir, "/opt", "rw", .. StarterSandbox.Shell("touch /opt/written 2>&1; touch /opt/sub/fine && echo sub-writable; grep -E ' /opt(/sub)? ' /proc/self/mountinfo")], shellSetup: setup, privateMounts: true, starter: Suid);

        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Contains("Read-only file system", r.Stdout, StringComparison.Ordinal);
        Assert.Contains("sub-writable\n", r.Stdout, StringComparison.Ordinal);
        Assert.Matches(" /opt ro,nosuid,nodev", r.Stdout);
        Assert.Matches(" /opt/sub rw,nosuid,nodev", r.Stdout);
        Assert.False(File.Exists(Path.Combine(dir, "written")));
        // Control: without the read-only mount the same op list writes there.
        var control = RunSuid([.. _s.Standard(pid: false), "BIND", dir, "/opt", "rw", .. StarterSandbox.Shell("touch /opt/written")]);
        Assert.True(control.ExitCode == 0, control.ToString());
        Assert.True(File.Exists(Path.Combine(dir, "written")));
    }

    [Fact]
    public void A_payload_calling_setuid_0_stays_the_caller()
    {
        var image = _s.CreateImage("img-setuid0-" + Guid.NewGuid().ToString("N"));
        _cleanup.Add(image);
        File.Copy(_f.Probe, Path.Combine(image, "bin", "suid-probe"));

        var r = RunSuid([.. _s.Standard(pid: true, image), .. StarterSandbox.Exec("/bin/suid-probe", "setuid0")]);

        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Equal($"setuid=EPERM\nseteuid=EPERM\nsetresuid=EPERM\nids={_s.Uid},{_s.Uid},{_s.Uid}:{_s.Gid},{_s.Gid},{_s.Gid}\n", r.Stdout);
    }

    [Fact]
    public void Limit_container_paths_compares_whole_components()
    {
        var top = _s.CreateFolder("limit-" + Guid.NewGuid().ToString("N"));
        _cleanup.Add(top);
        Shell($"mkdir -p '{top}/cvmfs' '{top}/cvmfs2' && cp -a '{_s.Image}' '{top}/cvmfs/img' && cp -a '{_s.Image}' '{top}/cvmfs2/img' && chmod 0755 '{top}/cvmfs' '{top}/cvmfs2'");
        _f.Prefix.WriteConfig($"allow setuid = yes\nlimit container paths = {top}/cvmfs/\n");

        var inside = RunSuid([.. _s.Standard(pid: false, $"{top}/cvmfs/img"), .. Echo()]);
        var beside = RunSuid([.. _s.Standard(pid: false, $"{top}/cvmfs2/img"), .. Echo()]);
        var dotted = RunSuid([.. _s.Standard(pid: false, $"{top}/cvmfs/../cvmfs2/img"), .. Echo()]);

        Assert.True(inside.ExitCode == 0 && inside.Stdout.Contains(Ran, StringComparison.Ordinal), inside.ToString());
        AssertRefused(beside, $"ROOT {top}/cvmfs2/img: the image is not under 'limit container paths'");
        AssertRefused(dotted, "takes paths only in canonical form");
    }

    [Fact]
    public void Allow_pid_ns_no_refuses_a_PID_namespace_and_allow_ipc_ns_no_an_IPC_one()
    {
        _f.Prefix.WriteConfig("allow setuid = yes\nallow pid ns = no\nallow ipc ns = no\n");

        AssertRefused(RunSuid([.. _s.Standard(pid: true), .. Echo()]), "'allow pid ns = no'");
        AssertRefused(RunSuid([.. _s.Prologue(pid: false, ipc: true), "BIND_PROC", "/proc", .. Echo()]), "'allow ipc ns = no'");
        Assert.Contains(Ran, RunSuid([.. _s.Standard(pid: false), .. Echo()]).Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void The_plain_starter_installed_setuid_refuses_to_run()
    {
        // The default build has no setuid mode: installed setuid root by mistake, it runs nothing.
        var plain = Path.Combine(_f.Prefix.Libexec, "starter-plain-" + Guid.NewGuid().ToString("N"));
        _cleanup.Add(plain);
        File.Copy(_s.Starter, plain);
        File.SetUnixFileMode(plain, SetuidStarterPrefix.Mode4755);

        AssertRefused(_s.Run(Payload(), starter: plain), "the starter must not be installed setuid or setgid");
    }

    [Fact]
    public void User_bind_control_no_binds_only_what_root_controls()
    {
        var theirs = _s.CreateFolder("their-data-" + Guid.NewGuid().ToString("N"));
        Shell($"chown {_s.Uid} '{theirs}'");
        _f.Prefix.WriteConfig("allow setuid = yes\nuser bind control = no\n");

        AssertRefused(RunSuid([.. _s.Standard(pid: false), "BIND", theirs, "/opt", "ro", .. Echo()]), "'user bind control = no'");
        // A system path (every directory root-owned, not writable by others) and /tmp are the site's binds.
        Assert.Contains(Ran, RunSuid([.. _s.Standard(pid: false), "BIND", "/usr/bin", "/opt", "ro", "BIND", "/tmp", "/tmp", "rw", .. Echo()]).Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void The_home_directory_must_be_the_callers()
    {
        var theirs = _s.CreateFolder("home-theirs-" + Guid.NewGuid().ToString("N"));
        var mine = _s.CreateFolder("home-mine-" + Guid.NewGuid().ToString("N"));
        Shell($"chown {_s.Uid} '{mine}'");

        AssertRefused(RunSuid([.. _s.Standard(pid: false), "BIND_HOME", theirs, "/home", .. Echo()]), $"home directory {theirs} is not owned by the calling user");
        Assert.Contains(Ran, RunSuid([.. _s.Standard(pid: false), "BIND_HOME", mine, "/home", .. Echo()]).Stdout, StringComparison.Ordinal);

        _f.Prefix.WriteConfig("allow setuid = yes\nallow unowned home = yes\n");
        Assert.Contains(Ran, RunSuid([.. _s.Standard(pid: false), "BIND_HOME", theirs, "/home", .. Echo()]).Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void USER_HOST_is_refused_by_the_setuid_starter()
    {
        var ids = _s.Standard(pid: false);
        AssertRefused(RunSuid(["USER_HOST", ids[1], ids[2], .. ids.Skip(3), .. Echo()]), "the setuid starter never keeps root's capabilities");
    }

    private static string[] Echo() => StarterSandbox.Shell("echo " + Ran);

    private string[] Payload() => [.. _s.Standard(pid: false), .. Echo()];

    /// <summary>The op list was refused: exit 255, one FATAL line naming <paramref name="message"/>, no payload.</summary>
    private static void AssertRefused(StarterResult r, string message)
    {
        Assert.True(r.ExitCode == 255, r.ToString());
        Assert.DoesNotContain(Ran, r.Stdout, StringComparison.Ordinal);
        var lines = r.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(lines.Length == 1 && lines[0].StartsWith("FATAL:   starter: ", StringComparison.Ordinal), r.ToString());
        Assert.Contains(message, lines[0], StringComparison.Ordinal);
    }

    private StarterResult RunSuid(IEnumerable<string> ops, IReadOnlyDictionary<string, string>? environment = null) =>
        _s.Run(ops, starter: Suid, environment: environment);

    private string Suid => _walk ? _f.Prefix.NoUsernsWalk : _f.Prefix.NoUserns;

    /// <summary>A root-owned 0700 directory with a world-readable directory and file beneath: only root can reach them.</summary>
    private (string Public, string Text) SecretTree()
    {
        var top = Path.Combine(_s.Root, "secret-" + Guid.NewGuid().ToString("N"));
        var text = "SECRET-" + Guid.NewGuid().ToString("N");
        Shell($"mkdir -p '{top}/pub' && echo {text} > '{top}/pub/secret' && chmod 0755 '{top}/pub' && chmod 0644 '{top}/pub/secret' && chmod 0700 '{top}'");
        _cleanup.Add(top);
        return ($"{top}/pub", text);
    }

    /// <summary>A busybox image the caller owns (and so may change while the starter sets up).</summary>
    private string UserOwnedImage()
    {
        var image = _s.CreateImage("img-user-" + Guid.NewGuid().ToString("N"));
        _cleanup.Add(image);
        Shell($"chown -R {_s.Uid}:{_s.Gid} '{image}'");
        return image;
    }

    private static void Shell(string script)
    {
        using var p = Process.Start(new ProcessStartInfo("/bin/sh", ["-c", script]) { RedirectStandardError = true, UseShellExecute = false })!;
        var stderr = p.StandardError.ReadToEnd();
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, $"{script}: {stderr}");
    }

    private StarterResult AsNobody(string program, params string[] args)
    {
        using var p = StartAsNobody(program, args);
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        Assert.True(p.WaitForExit(TimeSpan.FromSeconds(60)), $"{program} did not exit");
        p.WaitForExit();
        return new StarterResult(p.ExitCode, stdout.Result, stderr.Result);
    }

    private Process StartAsNobody(string program, params string[] args)
    {
        var info = new ProcessStartInfo(RequiredTool.Require("setpriv", "util-linux")) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var word in new[] { "--reuid=" + _s.Uid.ToString(CultureInfo.InvariantCulture), "--regid=" + _s.Gid.ToString(CultureInfo.InvariantCulture), "--clear-groups", program }.Concat(args))
        {
            info.ArgumentList.Add(word);
        }

        info.Environment.Clear();
        return Process.Start(info)!;
    }

    /// <summary>
    /// The setuid starter held in its privileged phase: its op list comes on fd 5, its stdin, and the test has not
    /// written it yet, so the starter waits in the read, as root (euid 0) with the caller's fsuid.
    /// </summary>
    private sealed class BlockedStarter : IDisposable
    {
        private readonly StartedStarter _started;
        private bool _finished;

        public BlockedStarter(SetuidAttackTests tests, string? cwd = null)
        {
            var setup = (cwd is null ? string.Empty : $"cd '{cwd}'\n") + "ulimit -c unlimited 2>/dev/null\nexec 5<&0";
            _started = tests._s.Start(["--ops-fd", "5"], shellSetup: setup, starter: tests._f.Prefix.NoUserns);
            Pid = _started.Process.Id;
            // Until the starter (not the shell or setpriv before it) runs privileged: euid 0, fsuid the caller's.
            var uid = tests._s.Uid.ToString(CultureInfo.InvariantCulture);
            var privileged = StarterSandbox.PollUntil(() => StatusLine("Uid:") == $"Uid:\t{uid}\t0\t0\t{uid}", TimeSpan.FromSeconds(20));
            Assert.True(privileged, $"the setuid starter did not reach its privileged phase: {StatusLine("Uid:")}");
        }

        public int Pid { get; }

        public string StatusLine(string field)
        {
            try
            {
                return File.ReadLines($"/proc/{Pid}/status").FirstOrDefault(l => l.StartsWith(field, StringComparison.Ordinal)) ?? string.Empty;
            }
            catch (IOException)
            {
                return string.Empty;
            }
        }

        /// <summary>Writes the ops (NUL-terminated words; none: just closes the fd) and waits for the starter.</summary>
        public StarterResult Finish(IEnumerable<string>? ops)
        {
            var input = _started.Process.StandardInput;
            if (ops is not null)
            {
                var bytes = new List<byte>();
                foreach (var word in ops)
                {
                    bytes.AddRange(Encoding.UTF8.GetBytes(word));
                    bytes.Add(0);
                }

                input.BaseStream.Write(bytes.ToArray());
            }

            input.Close();
            _finished = true;
            return StarterSandbox.Run(_started);
        }

        public void Dispose()
        {
            if (!_finished)
            {
                _started.Process.Kill(entireProcessTree: true);
                _started.Process.WaitForExit();
            }

            _started.Process.Dispose();
        }
    }
}
