using CvmfsImages.Publisher.Publishing;
using CvmfsImages.Sync.CommandLine;
using CvmfsImages.Sync.Configuration;
using CvmfsImages.Sync.Hosting;
using CvmfsImages.Tests.SyncService.EndToEnd;
using Xunit;

namespace CvmfsImages.Tests.SyncService.Configuration;

public sealed class ConfigurationTests
{
    [Fact]
    public void The_embedded_default_needs_nothing()
    {
        var settings = SyncSettings.Load(new CommandLineOverrides(), includeSystemFile: false);

        Assert.Equal(Path.GetFullPath("images.txt"), settings.Sync.List);
        Assert.Equal(PublisherBackends.Directory, settings.Publisher.Backend);
        Assert.Equal(Path.GetFullPath("sync-root"), settings.Publisher.Root);
        Assert.Equal(["linux/amd64"], settings.Sync.EffectivePlatforms);
        Assert.Equal(PathStyle.Osg, settings.Publisher.PathStyle);
    }

    [Fact]
    public void Command_line_overrides_win_and_mirrors_land_in_the_registry_options()
    {
        var settings = SyncSettings.Load(
            new CommandLineOverrides
            {
                List = "other.txt",
                Root = "/tmp/somewhere",
                Mirrors = ["docker.io=http://127.0.0.1:5000"],
                Platforms = ["linux/arm64/v8", "linux/amd64"],
                Settings = ["Sync:MaxConcurrentPulls=5"],
            },
            includeSystemFile: false);

        Assert.Equal(Path.GetFullPath("other.txt"), settings.Sync.List);
        Assert.Equal("/tmp/somewhere", settings.Publisher.Root);
        Assert.Equal("http://127.0.0.1:5000", settings.Registry.Hosts["docker.io"].Mirror);
        Assert.Equal(["linux/arm64/v8", "linux/amd64"], settings.Sync.EffectivePlatforms);
        Assert.Equal(5, settings.Sync.MaxConcurrentPulls);
    }

    [Fact]
    public void The_example_stratum0_configuration_loads_and_validates()
    {
        var file = new DirectoryInfo(AppContext.BaseDirectory);
        while (file is not null && !File.Exists(Path.Combine(file.FullName, "deploy", "stratum0.appsettings.json")))
        {
            file = file.Parent;
        }

        Assert.NotNull(file);
        var example = Path.Combine(file.FullName, "deploy", "stratum0.appsettings.json");

        // It names OSG's credentials file, which the operator provides (README, step 2): absent, it stops the start.
        var missing = Assert.Throws<OptionsException>(() => SyncSettings.Load(new CommandLineOverrides { ConfigFile = example }, includeSystemFile: false));
        Assert.Equal("Registry:DockerConfigPath", missing.Key);
        Assert.Contains("'/etc/cvmfs-image-sync/docker-config.json' cannot be read", missing.Message, StringComparison.Ordinal);

        using var dir = new CvmfsImages.TestSupport.TempDirectory("stratum0-config");
        var creds = dir.Combine("docker-config.json");
        File.WriteAllText(creds, """{"https://registry.hub.docker.com": {"username": "janedoe", "password": "hunter2"}}""");
        var settings = SyncSettings.Load(new CommandLineOverrides { ConfigFile = example, DockerCreds = creds }, includeSystemFile: false);

        Assert.Equal(PublisherBackends.CvmfsServer, settings.Publisher.Backend);
        Assert.Equal("singularity.opensciencegrid.org", settings.Publisher.RepositoryName);
        Assert.StartsWith("github:", settings.Sync.List, StringComparison.Ordinal);
        Assert.Equal(["linux/amd64", "linux/arm64"], settings.Sync.EffectivePlatforms);

        // A running `cvmfs_server publish` is let finish on SIGTERM: systemd must wait longer than the service does.
        var unit = File.ReadAllLines(Path.Combine(file.FullName, "deploy", "cvmfs-image-sync.service"));
        var stop = Assert.Single(unit, l => l.StartsWith("TimeoutStopSec=", StringComparison.Ordinal));
        Assert.EndsWith("min", stop, StringComparison.Ordinal);
        var systemdWaits = TimeSpan.FromMinutes(int.Parse(stop["TimeoutStopSec=".Length..^"min".Length], System.Globalization.CultureInfo.InvariantCulture));
        var serviceWaits = ServeHost.ShutdownTimeout(settings.Publisher);
        Assert.True(systemdWaits > serviceWaits, $"TimeoutStopSec {systemdWaits} must exceed the service's stop limit {serviceWaits}");
        Assert.True(serviceWaits > settings.Publisher.CommandTimeout, "the service must wait for a publish up to its command timeout");
    }

    [Theory]
    [InlineData("--set", "Sync:MaxConcurrentPulls=0", "Sync:MaxConcurrentPulls")]
    [InlineData("--set", "Sync:MaxConcurrentPulls=many", "Sync:MaxConcurrentPulls")]
    [InlineData("--set", "Sync:Bogus=1", "Bogus")]
    [InlineData("--set", "Sync:Schedules:ListPoll=often", "Sync:Schedules:ListPoll")]
    [InlineData("--set", "Sync:Schedules:GarbageCollection=0 0 25 * * ?", "Sync:Schedules:GarbageCollection")]
    [InlineData("--set", "Sync:Metrics:Port=70000", "Sync:Metrics:Port")]
    [InlineData("--set", "Publisher:Backend=nfs", "Publisher:Backend")]
    [InlineData("--set", "Registry:MaxRetries=100", "MaxRetries")]
    [InlineData("--set", "nonsense", "--set")]
    [InlineData("--registry-mirror", "docker.io", "--registry-mirror")]
    [InlineData("--registry-mirror", "docker.io=ftp://x", "--registry-mirror")]
    [InlineData("--platform", "linux", "Sync:Platforms:0")]
    [InlineData("--config", "/nonexistent/appsettings.json", "--config")]
    public async Task A_bad_setting_exits_2_naming_the_key(string option, string value, string named)
    {
        using var h = new SyncHarness();
        h.WriteList("python:3.12");
        var (exit, output, error) = await h.RunCliAsync("validate --offline " + h.ListPath, option, value);

        Assert.True(exit == ExitCodes.Usage, $"exit {exit}\n{output}\n{error}");
        Assert.Contains(named, error, StringComparison.Ordinal);
        Assert.StartsWith("cvmfs-image-sync: ", error, StringComparison.Ordinal);
        Assert.False(Directory.Exists(h.State), "nothing is written when the configuration is refused");
    }

    [Fact]
    public async Task An_unknown_command_or_option_exits_2()
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        Assert.Equal(ExitCodes.Usage, await Sync.CommandLine.Cli.RunAsync(["frobnicate"], output, error, TestContext.Current.CancellationToken));
        Assert.Equal(ExitCodes.Usage, await Sync.CommandLine.Cli.RunAsync(["sync", "--bogus"], output, error, TestContext.Current.CancellationToken));
        Assert.Contains("--bogus", error.ToString(), StringComparison.Ordinal);
    }
}
