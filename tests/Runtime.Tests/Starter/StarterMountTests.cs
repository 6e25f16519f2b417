using Xunit;

namespace CvmfsImages.Tests.Runtime.Starter;

/// <summary>Binds, underlays, tmpfs, files and /dev; and that no link in the image can lead a mount or a mkdir out.</summary>
[Collection(StarterTestGroup.Name)]
public sealed class StarterMountTests(StarterSandbox sandbox)
{
    [Fact]
    public void A_read_write_bind_is_writable_and_reaches_the_host()
    {
        var host = sandbox.CreateFolder("bind-rw", worldWritable: true);
        File.WriteAllText(Path.Combine(host, "from-host"), "hello\n");
        File.SetUnixFileMode(Path.Combine(host, "from-host"), UnixFileMode.UserRead | UnixFileMode.OtherRead);

        var result = sandbox.Run([.. sandbox.Standard(pid: false), "BIND", host, "/opt", "rw", .. StarterSandbox.Shell(
            "cat /opt/from-host && echo written > /opt/from-container")]);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal("hello\n", result.Stdout);
        Assert.Equal("written\n", File.ReadAllText(Path.Combine(host, "from-container")));
    }

    [Fact]
    public void A_read_only_bind_refuses_writes_and_keeps_the_locked_flags()
    {
        var host = sandbox.CreateFolder("bind-ro", worldWritable: true);
        File.WriteAllText(Path.Combine(host, "f"), "ro\n");
        File.SetUnixFileMode(Path.Combine(host, "f"), UnixFileMode.UserRead | UnixFileMode.OtherRead);

        var result = sandbox.Run([.. sandbox.Standard(pid: true), "BIND", host, "/opt", "ro", .. StarterSandbox.Shell(
            "cat /opt/f; echo x > /opt/g; echo status $?; grep ' /opt ' /proc/self/mountinfo")]);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.StartsWith("ro\n", result.Stdout, StringComparison.Ordinal);
        Assert.Contains("status 1", result.Stdout, StringComparison.Ordinal);
        Assert.Contains("Read-only file system", result.Stderr, StringComparison.Ordinal);
        Assert.Contains(" /opt ro", result.Stdout, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(host, "g")));
    }

    [Fact]
    public void A_read_only_bind_of_a_nosuid_nodev_noexec_mount_keeps_those_locked_flags()
    {
        // In a user namespace the flags a mount had when it was copied in are locked: a read-only remount that
        // dropped nosuid, nodev, noexec or the atime flag would fail with EPERM. Such a mount is made in a private
        // mount namespace (root only; the host's mounts are untouched).
        if (!sandbox.IsRoot)
        {
            Assert.Skip("needs root to make a nosuid,nodev,noexec mount in a private mount namespace (CI runs as root)");
        }

        var source = sandbox.CreateFolder("locked-flags");
        var result = sandbox.Run(
            [.. sandbox.Standard(pid: true), "BIND", source, "/opt", "ro", .. StarterSandbox.Shell(
                "cat /opt/f; grep ' /opt ' /proc/self/mountinfo | cut -d' ' -f6")],
            shellSetup: $"mount -t tmpfs -o nosuid,nodev,noexec,noatime,mode=0755 tmpfs {source} && echo locked > {source}/f",
            privateMounts: true);

        Assert.True(result.ExitCode == 0, result.ToString());
        var lines = result.Stdout.Split('\n');
        Assert.Equal("locked", lines[0]);
        var options = lines[1].Split(',');
        Assert.Equal(["ro", "nosuid", "nodev", "noexec", "noatime"], options.Intersect(["ro", "nosuid", "nodev", "noexec", "noatime"]));
    }

    [Fact]
    public void A_read_only_bind_makes_its_submounts_read_only_too()
    {
        if (!sandbox.IsRoot)
        {
            Assert.Skip("needs root to make a submount in a private mount namespace (CI runs as root)");
        }

        var source = sandbox.CreateFolder("with-submount", worldWritable: true);
        Directory.CreateDirectory(Path.Combine(source, "inner"));
        // The walk build also takes the fallback of kernels before 5.12 (no mount_setattr): submounts one by one.
        foreach (var starter in sandbox.Resolvers())
        {
            var result = sandbox.Run(
                [.. sandbox.Standard(pid: true), "BIND", source, "/opt", "ro", .. StarterSandbox.Shell(
                    "touch /opt/inner/x /opt/inner/deeper/y; echo status $?; grep -E ' /opt/inner(/deeper)? ' /proc/self/mountinfo | cut -d' ' -f6")],
                shellSetup: $"mount -t tmpfs -o mode=0777 tmpfs {source}/inner && mkdir -m 0777 {source}/inner/deeper && mount -t tmpfs -o mode=0777,noexec tmpfs {source}/inner/deeper",
                privateMounts: true,
                starter: starter);

            Assert.True(result.ExitCode == 0, starter + ": " + result);
            var lines = result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.Equal("status 1", lines[0]);
            Assert.Equal(3, lines.Length);
            Assert.All(lines.Skip(1), flags => Assert.StartsWith("ro,", flags, StringComparison.Ordinal));
            // The nested submount kept its own locked flag (noexec) while becoming read-only.
            Assert.Contains(lines.Skip(1), flags => flags.Contains("noexec", StringComparison.Ordinal));
        }
    }

    [Fact]
    public void A_mount_inside_the_image_directory_is_read_only_nosuid_nodev_like_the_image()
    {
        if (!sandbox.IsRoot)
        {
            Assert.Skip("needs root to mount inside the image in a private mount namespace (CI runs as root)");
        }

        var image = sandbox.CreateImage("image-with-submount");
        var result = sandbox.Run(
            [.. sandbox.Standard(pid: true, image), .. StarterSandbox.Shell("grep ' /opt ' /proc/self/mountinfo | cut -d' ' -f6")],
            shellSetup: $"mount -t tmpfs -o mode=0777 tmpfs {image}/opt",
            privateMounts: true);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal(["ro", "nosuid", "nodev"], result.Stdout.Trim().Split(',').Intersect(["ro", "nosuid", "nodev"]));
    }

    [Fact]
    public void An_underlay_of_the_image_root_lets_a_missing_top_level_destination_be_created()
    {
        var image = sandbox.CreateImage("underlay-root");
        var before = Snapshot(image);
        var host = sandbox.CreateFolder("underlay-root-src", worldWritable: true);

        var result = sandbox.Run([.. sandbox.Prologue(pid: true, image), "UNDERLAY", "/", "MKDIR", "/cvmfs", "MKDIR", "/cvmfs/repo",
            "BIND", host, "/cvmfs/repo", "rw", "PROC", "/proc", "ENV", "PATH=/bin", .. StarterSandbox.Shell(
                "echo w > /cvmfs/repo/w && ls / | tr '\\n' ' '; touch /new; echo status $?")]);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal("bin cvmfs dev etc home opt proc sys tmp var status 1\n", result.Stdout);
        Assert.Equal("w\n", File.ReadAllText(Path.Combine(host, "w")));
        Assert.Equal(before, Snapshot(image));
    }

    [Fact]
    public void A_missing_destination_is_created_beneath_an_underlay_without_writing_into_the_image()
    {
        var image = sandbox.CreateImage("underlay");
        Directory.CreateDirectory(Path.Combine(image, "opt", "data"));
        File.WriteAllText(Path.Combine(image, "opt", "data", "kept"), "kept\n");
        File.CreateSymbolicLink(Path.Combine(image, "opt", "link"), "data");
        var before = Snapshot(image);
        var host = sandbox.CreateFolder("underlay-src");
        File.WriteAllText(Path.Combine(host, "bound"), "bound\n");
        var writable = sandbox.CreateFolder("underlay-rw", worldWritable: true);

        var result = sandbox.Run([.. sandbox.Standard(pid: true, image), "UNDERLAY", "/opt", "MKDIR", "/opt/new", "MKDIR", "/opt/new/deep",
            "MKDIR", "/opt/rw", "MKFILE", "/opt/file", "BIND", host, "/opt/new/deep", "ro", "BIND", Path.Combine(host, "bound"), "/opt/file", "rw",
            "BIND", writable, "/opt/rw", "rw",
            .. StarterSandbox.Shell("cat /opt/new/deep/bound /opt/file /opt/data/kept /opt/link/kept; readlink /opt/link; echo rw > /opt/rw/f; mkdir /opt/later; echo status $?")]);

        Assert.True(result.ExitCode == 0, result.ToString());
        // The skeleton itself ends read-only (mkdir fails) while the read-write bind beneath it stays writable.
        Assert.Equal("bound\nbound\nkept\nkept\ndata\nstatus 1\n", result.Stdout);
        Assert.Equal("rw\n", File.ReadAllText(Path.Combine(writable, "f")));
        Assert.Equal(before, Snapshot(image));
    }

    [Fact]
    public void MKDIR_outside_an_underlay_fails_on_the_read_only_image_with_a_clear_message()
    {
        var result = sandbox.Run([.. sandbox.Standard(pid: false), "MKDIR", "/opt/x", .. StarterSandbox.Exec("true")]);

        Assert.True(result.ExitCode == 255, result.ToString());
        Assert.Contains("MKDIR /opt/x", result.Stderr, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(sandbox.Image, "opt", "x")));
    }

    [Theory]
    [InlineData("/var/etc")]
    [InlineData("/x/etc")]
    [InlineData("/x/x/x/etc")]
    [InlineData("/abs")]
    [InlineData("/abs/../etc")]
    public void Symlinks_in_the_image_lead_a_bind_only_to_somewhere_inside_the_image(string destination)
    {
        var image = LinkImage();
        var host = sandbox.CreateFolder("link-src-" + destination.Replace('/', '_'));
        File.WriteAllText(Path.Combine(host, "marker"), "inside\n");

        foreach (var starter in sandbox.Resolvers())
        {
            var result = sandbox.Run([.. sandbox.Standard(pid: true, image), "BIND", host, destination, "ro", .. StarterSandbox.Shell(
                "cat /etc/marker; grep ' /etc ' /proc/self/mountinfo | cut -d' ' -f4,5")], starter: starter);

            Assert.True(result.ExitCode == 0, starter + ": " + result);
            // The mount landed on the image's /etc (not the host's, not the base): the image's own /etc shows the marker.
            Assert.StartsWith("inside\n", result.Stdout, StringComparison.Ordinal);
            Assert.Contains(" /etc", result.Stdout, StringComparison.Ordinal);
            Assert.False(File.Exists("/etc/marker"));
        }
    }

    [Theory]
    [InlineData("MKDIR", "/opt/hostlink/made-by-starter")]
    [InlineData("MKDIR", "/opt/up/ROOT/made-by-starter")]
    [InlineData("MKFILE", "/opt/hostlink/made-by-starter")]
    [InlineData("MKFILE", "/opt/up/ROOT/made-by-starter")]
    public void Symlinks_in_the_image_never_lead_a_mkdir_or_mkfile_onto_the_host(string op, string path)
    {
        // /opt/hostlink -> <absolute host folder>, /opt/up -> ../../..: followed on the host, both would reach a
        // folder the unprivileged user may write. Resolved inside the image, they lead nowhere.
        var target = sandbox.CreateFolder("host-target-" + op + path.Length, worldWritable: true);
        var relative = target.TrimStart('/');
        var resolvedPath = path.Replace("ROOT", relative, StringComparison.Ordinal);
        var withLinks = sandbox.CreateImage("escape-" + op + path.Length);
        File.CreateSymbolicLink(Path.Combine(withLinks, "opt", "hostlink"), target);
        File.CreateSymbolicLink(Path.Combine(withLinks, "opt", "up"), "../../..");

        foreach (var starter in sandbox.Resolvers())
        {
            var result = sandbox.Run([.. sandbox.Standard(pid: false, withLinks), "UNDERLAY", "/opt", op, resolvedPath, .. StarterSandbox.Exec("true")], starter: starter);

            Assert.True(result.ExitCode == 255, starter + ": " + result);
            Assert.Contains(op + " " + resolvedPath, result.Stderr, StringComparison.Ordinal);
            Assert.Empty(Directory.EnumerateFileSystemEntries(target));
        }
    }

    [Fact]
    public void FILE_binds_exactly_its_content_read_only()
    {
        var content = "user:x:1000:1000::/home/user:/bin/sh\nsecond line with spaces\n";
        var result = sandbox.Run([.. sandbox.Standard(pid: false), "FILE", "/etc/hostname", content, .. StarterSandbox.Shell(
            "cat /etc/hostname; echo x >> /etc/hostname; echo status $?")]);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal(content + "status 1\n", result.Stdout);
        Assert.Equal("image\n", File.ReadAllText(Path.Combine(sandbox.Image, "etc", "hostname")));
    }

    [Fact]
    public void TMPFS_is_a_fresh_writable_sticky_directory()
    {
        var result = sandbox.Run([.. sandbox.Standard(pid: false), "TMPFS", "/tmp", "1048576", .. StarterSandbox.Shell(
            "touch /tmp/a && stat -c %a /tmp && ls /tmp && grep ' /tmp ' /proc/self/mountinfo")]);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.StartsWith("1777\na\n", result.Stdout, StringComparison.Ordinal);
        Assert.Contains("size=1024k", result.Stdout, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(sandbox.Image, "tmp", "a")));
    }

    [Fact]
    public void DEV_MINIMAL_has_the_harmless_devices_a_devpts_and_shm_only()
    {
        var result = sandbox.Run([.. sandbox.Prologue(pid: true), "PROC", "/proc", "DEV_MINIMAL", "/dev", "ENV", "PATH=/bin", .. StarterSandbox.Shell(
            "ls /dev; echo x > /dev/null && echo null-ok; stat -c %a /dev/shm; touch /dev/shm/s && echo shm-ok; ls /dev/pts; touch /dev/new 2>/dev/null || echo dev-read-only")]);

        Assert.True(result.ExitCode == 0, result.ToString());
        var lines = result.Stdout.Split('\n');
        Assert.Equal(["fd", "full", "null", "ptmx", "pts", "random", "shm", "stderr", "stdin", "stdout", "tty", "urandom", "zero"],
            lines.TakeWhile(l => l != "null-ok").Order(StringComparer.Ordinal));
        Assert.Contains("1777", lines);
        Assert.Contains("shm-ok", lines);
        Assert.Contains("ptmx", lines.SkipWhile(l => l != "shm-ok"));
        Assert.Contains("dev-read-only", lines);
    }

    [Fact]
    public void SYS_is_the_hosts_sys_read_only()
    {
        var result = sandbox.Run([.. sandbox.Standard(pid: true), "SYS", "/sys", .. StarterSandbox.Shell(
            "ls /sys/kernel >/dev/null && echo listed; grep ' /sys ' /proc/self/mountinfo | cut -d' ' -f6")]);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.StartsWith("listed\nro", result.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void PROC_without_a_PID_namespace_is_refused()
    {
        var result = sandbox.Run([.. sandbox.Prologue(pid: false), "PROC", "/proc", .. StarterSandbox.Exec("/bin/true")]);

        Assert.True(result.ExitCode == 255, result.ToString());
        Assert.Contains("PROC /proc", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void A_bind_source_that_does_not_exist_names_the_path()
    {
        var missing = Path.Combine(sandbox.Root, "no-such-source");
        var result = sandbox.Run([.. sandbox.Standard(pid: false), "BIND", missing, "/opt", "rw", .. StarterSandbox.Exec("/bin/true")]);

        Assert.True(result.ExitCode == 255, result.ToString());
        Assert.Contains("BIND " + missing, result.Stderr, StringComparison.Ordinal);
        Assert.Contains("No such file or directory", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void A_file_cannot_be_bound_onto_a_directory()
    {
        var file = Path.Combine(sandbox.Root, "plain-file");
        File.WriteAllText(file, "x");
        var result = sandbox.Run([.. sandbox.Standard(pid: false), "BIND", file, "/opt", "rw", .. StarterSandbox.Exec("/bin/true")]);

        Assert.True(result.ExitCode == 255, result.ToString());
        Assert.Contains("is not a directory but the destination is one", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Link_loops_and_proc_magic_links_do_not_resolve_with_either_resolver()
    {
        var image = sandbox.CreateImage("loops");
        File.CreateSymbolicLink(Path.Combine(image, "loop"), "loop2");
        File.CreateSymbolicLink(Path.Combine(image, "loop2"), "/loop");
        var host = sandbox.CreateFolder("loop-src");
        foreach (var starter in sandbox.Resolvers())
        {
            var loop = sandbox.Run([.. sandbox.Standard(pid: false, image), "BIND", host, "/loop/x", "rw", .. StarterSandbox.Exec("true")], starter: starter);
            Assert.True(loop.ExitCode == 255, starter + ": " + loop);
            Assert.Contains("cannot resolve /loop/x inside the image: Too many levels of symbolic links", loop.Stderr, StringComparison.Ordinal);

            // /proc/self/root of the host's /proc (bound in) is a magic link to the starter's root: never followed.
            var magic = sandbox.Run([.. sandbox.Standard(pid: false, image), "BIND", host, "/proc/self/root/opt", "rw", .. StarterSandbox.Exec("true")], starter: starter);
            Assert.True(magic.ExitCode == 255, starter + ": " + magic);
            Assert.Contains("cannot resolve /proc/self/root/opt inside the image", magic.Stderr, StringComparison.Ordinal);
        }
    }

    // /var/etc -> /etc, /x -> ../../.. (climbs above the root: stays at the root), /abs -> /etc (absolute).
    private string LinkImage()
    {
        var name = "links";
        var image = Path.Combine(sandbox.Root, name);
        if (Directory.Exists(image))
        {
            return image;
        }

        image = sandbox.CreateImage(name);
        File.CreateSymbolicLink(Path.Combine(image, "var", "etc"), "/etc");
        File.CreateSymbolicLink(Path.Combine(image, "x"), "../../..");
        File.CreateSymbolicLink(Path.Combine(image, "abs"), "/etc");
        return image;
    }

    private static string Snapshot(string root) => string.Join('\n',
        Directory.EnumerateFileSystemEntries(root, "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 })
            .Order(StringComparer.Ordinal)
            .Select(p => p + " " + File.GetLastWriteTimeUtc(p).Ticks));
}
