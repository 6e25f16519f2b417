using Xunit;

namespace CvmfsImages.Tests.Runtime.EndToEnd;

/// <summary>ConfigAndErrorBehaviour, with the unprivileged starter (user namespaces).</summary>
[Collection(FrontEndTestGroup.Name)]
public sealed class ConfigAndErrorTests(FrontEndSandbox sandbox) : ConfigAndErrorBehaviour(sandbox);

/// <summary>ConfigAndErrorBehaviour, in setuid mode (a node without unprivileged user namespaces, installed with --setuid).</summary>
[Collection(SetuidFrontEndTestGroup.Name)]
public sealed class ConfigAndErrorSetuidTests(SetuidFrontEndSandbox sandbox) : ConfigAndErrorBehaviour(sandbox);

public abstract class ConfigAndErrorBehaviour(FrontEndSandbox sandbox)
{
    private RunResult Exec(string config, string script, params string[] options) =>
        sandbox.Run(["exec", .. options, sandbox.Image, "sh", "-c", script], config: sandbox.WriteConfig(Guid.NewGuid().ToString("N"), config));

    [Fact]
    public void Config_keys_turn_features_off()
    {
        Assert.Equal("0\n", Exec("mount proc = no\n", "ls /proc | wc -l").Stdout);
        Assert.Equal("0\n", Exec("mount sys = no\n", "ls /sys | wc -l").Stdout);
        Assert.Equal("0\n", Exec("mount dev = no\n", "ls /dev | wc -l").Stdout);
        var r = Exec("config passwd = no\n", "whoami");
        Assert.NotEqual(0, r.ExitCode);
        Assert.Contains("unknown uid 65534", r.Stderr, StringComparison.Ordinal);
        var data = sandbox.CreateFolder("conf-bind");
        r = Exec("user bind control = no\n", "test -e /opt/d", "-B", $"{data}:/opt/d");
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("WARNING: ignoring the requested binds: 'user bind control = no'", r.Stderr, StringComparison.Ordinal);
        r = Exec("allow pid ns = no\n", "echo $$", "-p");
        Assert.NotEqual("1\n", r.Stdout);
        Assert.Contains("'allow pid ns = no'", r.Stderr, StringComparison.Ordinal);
        var marker = Path.Combine(sandbox.CreateFolder("conf-tmp"), "m");
        File.WriteAllText(marker, "x");
        Assert.Equal(1, Exec("mount tmp = no\n", $"test -e {marker}").ExitCode);
    }

    [Fact]
    public void Mount_devpts_no_leaves_the_minimal_dev_without_a_devpts()
    {
        const string script = "ls /dev | tr '\\n' ' '";
        var with = Exec("mount dev = minimal\n", script);
        Assert.True(with.ExitCode == 0, with.ToString());
        Assert.Contains(" pts ", " " + with.Stdout, StringComparison.Ordinal);
        Assert.Contains(" ptmx ", " " + with.Stdout, StringComparison.Ordinal);
        var without = Exec("mount dev = minimal\nmount devpts = no\n", script);
        Assert.True(without.ExitCode == 0, without.ToString());
        Assert.DoesNotContain(" pts ", " " + without.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain(" ptmx ", " " + without.Stdout, StringComparison.Ordinal);
        Assert.Contains(" null ", " " + without.Stdout, StringComparison.Ordinal);
        Assert.Contains(" shm ", " " + without.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void Config_bind_paths_are_mounted()
    {
        var site = sandbox.CreateFolder("site-cvmfs");
        File.WriteAllText(Path.Combine(site, "repo"), "cvmfs");
        var r = Exec($"bind path = {site}:/cvmfs\nbind path = /does/not/exist\n", "cat /cvmfs/repo");
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Equal("cvmfs", r.Stdout);
    }

    [Fact]
    public void Limit_container_paths_compares_whole_components()
    {
        var parent = Path.GetDirectoryName(sandbox.Image)!;
        Assert.Equal(0, Exec($"limit container paths = {parent}\n", "true").ExitCode);
        var r = Exec($"limit container paths = {sandbox.Image[..^1]}\n", "true");
        Assert.Equal(255, r.ExitCode);
        Assert.Contains("is not under 'limit container paths", r.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void A_bad_config_line_exits_255_quoting_it()
    {
        var path = sandbox.WriteConfig("bad-value", "mount proc = yes\nmount home = perhaps\n");
        var r = sandbox.Run(["exec", sandbox.Image, "true"], config: path);
        Assert.Equal(255, r.ExitCode);
        Assert.Equal($"FATAL:   {path}:2: 'mount home' must be yes or no, not 'perhaps': 'mount home = perhaps'\n", r.Stderr);
        Assert.Empty(r.Stdout);
    }

    [Fact]
    public void Unknown_config_keys_warn()
    {
        var r = Exec("frobnicate = 1\n", "true");
        Assert.Equal(0, r.ExitCode);
        Assert.Contains("unknown configuration key 'frobnicate'", r.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void An_override_config_that_others_can_write_is_ignored()
    {
        var path = sandbox.WriteConfig("loose", "mount proc = no\n");
        File.SetUnixFileMode(path, (UnixFileMode)0b110_110_110);
        var r = sandbox.Run(["exec", sandbox.Image, "sh", "-c", "ls /proc | wc -l"], config: path);
        Assert.Contains($"ignoring CVMFS_IMAGES_SINGULARITY_CONF={path}: {path} is writable by group or others", r.Stderr, StringComparison.Ordinal);
        if (File.Exists(CvmfsImages.Runtime.Config.ConfigFileLocator.DefaultPath))
        {
            // The installed compiled-in file is used: "mount proc = no" from the loose file did not apply.
            Assert.NotEqual("0\n", r.Stdout);
        }
        else
        {
            Assert.Equal(255, r.ExitCode);
            Assert.Contains(CvmfsImages.Runtime.Config.ConfigFileLocator.DefaultPath + ": does not exist", r.Stderr, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("unknown option --frobnicate for 'exec'", "exec", "--frobnicate", "IMG", "true")]
    [InlineData("unknown option -Z for 'exec'", "exec", "-Z", "IMG", "true")]
    [InlineData("exec: no command given", "exec", "IMG")]
    [InlineData("unknown action 'exex'", "exex", "IMG", "true")]
    [InlineData("image /no/such/image: no such file or directory", "exec", "/no/such/image", "true")]
    [InlineData("image docker://busybox: URIs are not supported", "exec", "docker://busybox", "true")]
    [InlineData("--workdir /no/such/dir: no such directory", "exec", "-c", "-W", "/no/such/dir", "IMG", "true")]
    [InlineData("--env 'novalue': expected NAME=VALUE", "exec", "--env", "novalue", "IMG", "true")]
    [InlineData("--env-file /no/such/file:", "exec", "--env-file", "/no/such/file", "IMG", "true")]
    public void Bad_options_exit_255_with_one_line_naming_them(string message, params string[] args)
    {
        var r = sandbox.Run(args.Select(a => a == "IMG" ? sandbox.Image : a));
        Assert.Equal(255, r.ExitCode);
        Assert.StartsWith("FATAL:   ", r.Stderr, StringComparison.Ordinal);
        Assert.Contains(message, r.Stderr, StringComparison.Ordinal);
        Assert.Single(r.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public void Debug_messages_use_singularity_s_format()
    {
        var r = sandbox.Run(["-d", "exec", sandbox.Image, "true"]);
        Assert.Equal(0, r.ExitCode);
        Assert.Matches(@"(?m)^DEBUG   \[U=65534,P=\d+\]\s+Load\(\)\s+Parsing configuration file ", r.Stderr);
        Assert.Matches(@"(?m)^DEBUG   \[U=65534,P=\d+\]\s+Plan\(\)\s+ROOT ", r.Stderr);
    }
}
