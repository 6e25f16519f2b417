using System.Diagnostics;
using System.Text.Json;
using CvmfsImages.Publisher.Flattening;
using CvmfsImages.TestSupport;
using Xunit;

namespace CvmfsImages.Tests.CvmfsPublisher.Flattening;

/// <summary>/.singularity.d as Singularity lays it out for a Docker image, checked by running the scripts with sh.</summary>
public sealed class SingularityMetadataTests
{
    private const string Tricky = "a b \"q\" 'single' $HOME `id` \\back } {x} = == ;|&";

    private static ImageConfig Config(string entrypoint = "null", string cmd = "null") => ImageConfig.Parse(System.Text.Encoding.UTF8.GetBytes($$"""
        {
          "architecture": "amd64", "os": "linux", "created": "2024-02-03T04:05:06Z",
          "config": {
            "Env": ["PATH=/opt/bin:/usr/bin:/bin", "TRICKY={{JsonEncodedText.Encode(Tricky)}}", "EMPTY=", "NOVALUE", "bad-name=x", "EQ=a=b=c"],
            "Entrypoint": {{entrypoint}},
            "Cmd": {{cmd}},
            "WorkingDir": "/work/dir",
            "Labels": {"org.opencontainers.image.title": "demo", "maintainer": "someone \"quoted\""}
          },
          "rootfs": {"type": "layers", "diff_ids": []}
        }
        """));

    [Fact]
    public async Task The_layout_matches_a_singularity_sandbox()
    {
        using var tree = await TestLayers.FlattenAsync([TestLayers.Plain(new TarBuilder().File("bin/true", "x"))], Config());
        foreach (var script in new[] { "actions/exec", "actions/run", "actions/shell", "actions/start", "actions/test", "env/01-base.sh",
                     "env/10-docker2singularity.sh", "env/90-environment.sh", "env/95-apps.sh", "env/99-base.sh", "env/99-runtimevars.sh", "runscript" })
        {
            Assert.Equal((UnixFileMode)0x1ED, tree.Mode(".singularity.d/" + script));
            Assert.StartsWith("#!/bin/sh\n", tree.Read(".singularity.d/" + script), StringComparison.Ordinal);
        }

        Assert.True(Directory.Exists(tree.Path(".singularity.d/libs")));
        Assert.Equal(".singularity.d/runscript", tree.LinkTarget("singularity"));
        Assert.Equal(".singularity.d/env/90-environment.sh", tree.LinkTarget("environment"));
        Assert.Equal(".singularity.d/actions/exec", tree.LinkTarget(".exec"));
        Assert.True(Directory.Exists(tree.Path("work/dir")));
        var labels = JsonDocument.Parse(tree.Read(".singularity.d/labels.json")).RootElement;
        Assert.Equal("demo", labels.GetProperty("org.opencontainers.image.title").GetString());
        Assert.Equal("someone \"quoted\"", labels.GetProperty("maintainer").GetString());
    }

    [Fact]
    public async Task Mount_points_are_created_when_missing_and_existing_ones_are_kept()
    {
        var layer = new TarBuilder().File("etc/passwd", "root:x:0:0::/root:/bin/sh\n").Symlink("etc/resolv.conf", "../run/resolv.conf").Directory("tmp", (UnixFileMode)0x1C0);
        var options = new FlattenOptions { ExtraMountPoints = ["/scratch", "/cvmfs/other.repo", "/opt/site/data"] };
        using var tree = await TestLayers.FlattenAsync([TestLayers.Plain(layer)], ImageConfig.Empty, options);
        foreach (var dir in new[] { "cvmfs", "srv", "dev", "proc", "sys", "tmp", "var/tmp", "home", "scratch", "cvmfs/other.repo", "opt/site/data" })
        {
            Assert.True(Directory.Exists(tree.Path(dir)), dir);
        }

        Assert.Equal("root:x:0:0::/root:/bin/sh\n", tree.Read("etc/passwd"));
        Assert.Equal("../run/resolv.conf", tree.LinkTarget("etc/resolv.conf"));
        Assert.Equal(string.Empty, tree.Read("etc/hosts"));
        Assert.Equal(string.Empty, tree.Read("etc/group"));
        Assert.Equal((UnixFileMode)0x1A4, tree.Mode("etc/hosts"));
        Assert.Equal((UnixFileMode)0x3FF, tree.Mode("var/tmp"));
        Assert.Equal((UnixFileMode)0x1ED, tree.Mode("tmp")); // the image's own /tmp (0700 normalised) is kept
    }

    [Theory]
    [InlineData("relative/path")]
    [InlineData("/a/../../etc")]
    [InlineData("")]
    public async Task An_invalid_extra_mount_point_is_refused_before_anything_is_written(string path)
    {
        using var temp = new TempDirectory("flatten");
        var root = temp.Combine("root");
        var ex = await Assert.ThrowsAsync<ArgumentException>(() => new ImageFlattener().FlattenAsync(
            [], ImageConfig.Empty, root, new FlattenOptions { ExtraMountPoints = [path] }, TestContext.Current.CancellationToken));
        Assert.Contains($"'{path}'", ex.Message, StringComparison.Ordinal);
        Assert.False(Path.Exists(root));
    }

    [Fact]
    public async Task Image_symlinks_cannot_redirect_the_metadata_or_mount_points_outside()
    {
        using var host = new TempDirectory("host-victim");
        var layer = new TarBuilder().Symlink(".singularity.d", host.Path).Symlink("srv", host.Path).Symlink("etc", host.Path);
        using var tree = await TestLayers.FlattenAsync([TestLayers.Plain(layer)], Config("[\"/bin/echo\"]"));
        Assert.Empty(Directory.EnumerateFileSystemEntries(host.Path));
        Assert.True(Directory.Exists(tree.Path(".singularity.d/env")));
        Assert.Null(tree.LinkTarget(".singularity.d"));
        Assert.Equal(host.Path, tree.LinkTarget("srv"));
    }

    [Fact]
    public async Task A_working_dir_climbing_above_the_root_is_clamped_at_the_root()
    {
        var config = ImageConfig.Parse("""{"config":{"WorkingDir":"/../../work/./dir/.."}}"""u8);
        using var tree = await TestLayers.FlattenAsync([TestLayers.Plain(new TarBuilder().File("x", "x"))], config);
        Assert.True(Directory.Exists(tree.Path("work")));
        Assert.False(Directory.Exists(tree.Path("work/dir")));
    }

    [Fact]
    public async Task An_image_whose_etc_is_a_file_fails_naming_the_mount_point_and_leaves_nothing()
    {
        var ex = await TestLayers.FailsAsync<InvalidDataException>([TestLayers.Plain(new TarBuilder().File("etc", "not a directory"))]);
        Assert.Contains("'/etc/hosts'", ex.Message, StringComparison.Ordinal);
        Assert.Contains("not a directory", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_working_dir_below_a_file_fails_naming_it_and_leaves_nothing()
    {
        var config = ImageConfig.Parse("""{"config":{"WorkingDir":"/data/sub"}}"""u8);
        var ex = await TestLayers.FailsAsync<InvalidDataException>([TestLayers.Plain(new TarBuilder().File("data", "file"))], config);
        Assert.Contains("WorkingDir '/data/sub'", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Env_values_survive_the_shell_exactly()
    {
        using var tree = await TestLayers.FlattenAsync([TestLayers.Plain(new TarBuilder().File("x", "x"))], Config());
        var script = tree.Path(".singularity.d/env/10-docker2singularity.sh");
        Assert.DoesNotContain("bad-name", tree.Read(".singularity.d/env/10-docker2singularity.sh"), StringComparison.Ordinal);
        foreach (var shell in Shells())
        {
            var output = Run(shell, ["-c", ". \"$1\"; printf '%s|' \"$PATH\" \"$TRICKY\" \"$EMPTY\" \"${NOVALUE-unset}\" \"$EQ\"", "sh", script], []);
            Assert.Equal($"/opt/bin:/usr/bin:/bin|{Tricky}|||a=b=c|", output);

            // A value already set in the environment wins, as in Singularity; PATH is always the image's.
            var preset = Run(shell, ["-c", ". \"$1\"; printf '%s|' \"$PATH\" \"$TRICKY\"", "sh", script], new() { ["TRICKY"] = "from host", ["PATH"] = "/host" });
            Assert.Equal("/opt/bin:/usr/bin:/bin|from host|", preset);
        }
    }

    public static TheoryData<string, string, string[], string> RunCases() => new()
    {
        // entrypoint, cmd, run arguments, expected argv (one per line)
        { "[\"printf\", \"<%s>\"]", "[\"a b\", \"c'd\"]", [], "<a b><c'd>" },
        { "[\"printf\", \"<%s>\"]", "[\"a b\", \"c'd\"]", ["x", "y z"], "<x><y z>" },
        { "null", "[\"printf\", \"<%s>\", \"only cmd\"]", [], "<only cmd>" },
        { "null", "[\"printf\", \"<%s>\", \"only cmd\"]", ["printf", "[%s]", "replaced"], "[replaced]" },
        { "[\"printf\", \"<%s>\", \"$HOME\", \"`x`\"]", "null", [], "<$HOME><`x`>" },
        { "[\"printf\", \"<%s>\"]", "null", ["arg"], "<arg>" },
    };

    [Theory]
    [MemberData(nameof(RunCases))]
    public async Task The_runscript_follows_singularity_semantics_for_entrypoint_and_cmd(string entrypoint, string cmd, string[] args, string expected)
    {
        using var tree = await TestLayers.FlattenAsync([TestLayers.Plain(new TarBuilder().File("x", "x"))], Config(entrypoint, cmd));
        var runscript = tree.Path(".singularity.d/runscript");
        foreach (var shell in Shells())
        {
            Assert.Equal(expected, Run(shell, [runscript, .. args], []));
            Assert.Equal(expected, Run(shell, [runscript, .. args], new() { ["SINGULARITY_NO_EVAL"] = "1" }));
        }
    }

    [Fact]
    public async Task The_runscript_evaluates_arguments_unless_no_eval_is_set()
    {
        using var tree = await TestLayers.FlattenAsync([TestLayers.Plain(new TarBuilder().File("x", "x"))], Config("[\"printf\", \"<%s>\"]"));
        var runscript = tree.Path(".singularity.d/runscript");
        Assert.Equal("<value>", Run("/bin/sh", [runscript, "$V"], new() { ["V"] = "value" }));
        Assert.Equal("<$V>", Run("/bin/sh", [runscript, "$V"], new() { ["V"] = "value", ["APPTAINER_NO_EVAL"] = "1" }));
    }

    [Fact]
    public async Task Without_entrypoint_cmd_or_arguments_the_runscript_says_so()
    {
        using var tree = await TestLayers.FlattenAsync([TestLayers.Plain(new TarBuilder().File("x", "x"))], ImageConfig.Empty);
        var (code, _, error) = Exec("/bin/sh", [tree.Path(".singularity.d/runscript")], []);
        Assert.Equal(1, code);
        Assert.Contains("no ENTRYPOINT or CMD", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Image_config_parses_docker_and_oci_fields_and_rejects_bad_json()
    {
        var config = Config("[\"/entry\"]", "[\"c1\", \"c2\"]");
        Assert.Equal(["/entry"], config.Entrypoint);
        Assert.Equal(["c1", "c2"], config.Cmd);
        Assert.Equal("/work/dir", config.WorkingDir);
        Assert.Equal("amd64", config.Architecture);
        Assert.Equal(new DateTimeOffset(2024, 2, 3, 4, 5, 6, TimeSpan.Zero), config.Created);
        Assert.Equal(6, config.Env.Count);
        Assert.Throws<InvalidDataException>(() => ImageConfig.Parse("{not json"u8));
        Assert.Throws<InvalidDataException>(() => ImageConfig.Parse("[]"u8));
        var ex = Assert.Throws<InvalidDataException>(() => ImageConfig.Parse("""{"config":{"Env":"PATH=/bin"}}"""u8));
        Assert.Contains("Env", ex.Message, StringComparison.Ordinal);
        Assert.Empty(ImageConfig.Parse("{}"u8).Env);
    }

    private static IEnumerable<string> Shells() =>
        new[] { "/bin/sh", "/bin/dash", "/bin/bash" }.Where(File.Exists).Distinct();

    private static string Run(string shell, string[] args, Dictionary<string, string> env)
    {
        var (code, output, error) = Exec(shell, args, env);
        Assert.True(code == 0, $"{shell} {string.Join(' ', args)} exited {code}: {error}");
        return output;
    }

    private static (int Code, string Output, string Error) Exec(string file, string[] args, Dictionary<string, string> env)
    {
        var start = new ProcessStartInfo(file, args) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.Environment.Clear();
        start.Environment["PATH"] = "/usr/bin:/bin";
        start.Environment["HOME"] = "/home/test";
        foreach (var (k, v) in env)
        {
            start.Environment[k] = v;
        }

        using var process = Process.Start(start)!;
        var error = process.StandardError.ReadToEndAsync();
        var output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, output, error.GetAwaiter().GetResult());
    }
}
