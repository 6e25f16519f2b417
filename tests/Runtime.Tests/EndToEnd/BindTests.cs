using Xunit;

namespace CvmfsImages.Tests.Runtime.EndToEnd;

/// <summary>BindBehaviour, with the unprivileged starter (user namespaces).</summary>
[Collection(FrontEndTestGroup.Name)]
public sealed class BindTests(FrontEndSandbox sandbox) : BindBehaviour(sandbox);

/// <summary>BindBehaviour, in setuid mode (a node without unprivileged user namespaces, installed with --setuid).</summary>
[Collection(SetuidFrontEndTestGroup.Name)]
public sealed class BindSetuidTests(SetuidFrontEndSandbox sandbox) : BindBehaviour(sandbox);

public abstract class BindBehaviour(FrontEndSandbox sandbox)
{
    [Fact]
    public void Read_write_and_read_only_binds()
    {
        var data = sandbox.CreateFolder("bind-data", worldWritable: true);
        File.WriteAllText(Path.Combine(data, "in"), "hello");
        var rw = sandbox.Run(["exec", "-B", $"{data}:/opt/data", sandbox.Image, "sh", "-c", "cat /opt/data/in; echo out > /opt/data/out"]);
        Assert.True(rw.ExitCode == 0, rw.ToString());
        Assert.Equal("hello", rw.Stdout);
        Assert.Equal("out\n", File.ReadAllText(Path.Combine(data, "out")));

        var ro = sandbox.Run(["exec", "--bind", $"{data}:/opt/data:ro", sandbox.Image, "sh", "-c", "cat /opt/data/in; echo x > /opt/data/ro-write"]);
        Assert.NotEqual(0, ro.ExitCode);
        Assert.Equal("hello", ro.Stdout);
        Assert.Contains("Read-only file system", ro.Stderr, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(data, "ro-write")));
    }

    [Fact]
    public void Missing_destinations_are_created_without_writing_into_the_image()
    {
        var data = sandbox.CreateFolder("bind-missing");
        File.WriteAllText(Path.Combine(data, "f"), "file");
        var r = sandbox.Run(["exec", "-B", $"{data}:/new/deep/dir,{data}/f:/etc/new-file", sandbox.Image, "sh", "-c", "ls /new/deep/dir; cat /etc/new-file; echo; ls /etc | grep -c passwd"]);
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Equal("f\nfile\n1\n", r.Stdout);
        Assert.False(Directory.Exists(Path.Combine(sandbox.Image, "new")));
        Assert.False(File.Exists(Path.Combine(sandbox.Image, "etc", "new-file")));
    }

    [Fact]
    public void Bind_lists_from_the_environment_with_escapes()
    {
        var data = sandbox.CreateFolder("bind,env");
        File.WriteAllText(Path.Combine(data, "m"), "env");
        var escaped = data.Replace(",", "\\,", StringComparison.Ordinal);
        foreach (var variable in new[] { "SINGULARITY_BIND", "SINGULARITY_BINDPATH", "APPTAINER_BIND" })
        {
            var r = sandbox.Run(["exec", sandbox.Image, "cat", "/opt/e/m"], new() { [variable] = $"{escaped}:/opt/e:ro" });
            Assert.True(r.ExitCode == 0, variable + ": " + r);
            Assert.Equal("env", r.Stdout);
        }
    }

    [Fact]
    public void Symlinked_destinations_in_the_image_bind_inside_the_image()
    {
        var image = Support.BusyboxImage.Create(Path.Combine(sandbox.Root, "img-links"));
        Directory.CreateDirectory(Path.Combine(image, "a", "b", "c"));
        File.CreateSymbolicLink(Path.Combine(image, "var", "etc"), "/etc");
        File.CreateSymbolicLink(Path.Combine(image, "a", "b", "c", "x"), "../../../../..");
        File.CreateSymbolicLink(Path.Combine(image, "abs"), "/usr/lib/target");
        Support.BusyboxImage.MakeReadable(image);
        var data = sandbox.CreateFolder("bind-links");
        File.WriteAllText(Path.Combine(data, "m"), "m");
        var r = sandbox.Run(["exec", "-B", $"{data}:/var/etc/d,{data}:/a/b/c/x/up,{data}:/abs", image, "sh", "-c", "cat /etc/d/m /up/m /usr/lib/target/m"]);
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Equal("mmm", r.Stdout);
        Assert.False(Directory.Exists("/up"));
        Assert.False(Directory.Exists("/usr/lib/target"));
    }

    [Fact]
    public void Bad_binds_exit_255_naming_the_path()
    {
        var r = sandbox.Run(["exec", "-B", "/no/such/source:/x", sandbox.Image, "true"]);
        Assert.Equal(255, r.ExitCode);
        Assert.Equal("FATAL:   --bind: source /no/such/source does not exist on the host\n", r.Stderr);
        r = sandbox.Run(["exec", "-B", "/etc:/x:rx", sandbox.Image, "true"]);
        Assert.Equal(255, r.ExitCode);
        Assert.Equal("FATAL:   --bind: invalid bind spec '/etc:/x:rx': unknown option 'rx' (ro or rw)\n", r.Stderr);
    }
}
