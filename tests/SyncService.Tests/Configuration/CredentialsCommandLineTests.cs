using CvmfsImages.Registry;
using CvmfsImages.Sync.CommandLine;
using CvmfsImages.Tests.SyncService.EndToEnd;
using CvmfsImages.TestSupport;
using CvmfsImages.TestSupport.Auth;
using CvmfsImages.TestSupport.Images;
using Xunit;

namespace CvmfsImages.Tests.SyncService.Configuration;

/// <summary>
/// The registry credentials file through the real command line: OSG's <c>--docker-creds</c> file publishes from a
/// registry with Basic auth; a file in neither accepted format stops every command at start (exit 2) naming it.
/// </summary>
public sealed class CredentialsCommandLineTests
{
    private const string Secret = "osg-Pa55word";

    [Fact]
    public async Task Sync_once_with_the_osg_docker_creds_file_pulls_from_a_basic_auth_registry()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var registry = await AuthenticatedRegistry.StartWithBasicAuthAsync("osg", Secret, ct);
        using (var pusher = new RegistryClient(new RegistryClientOptions { Hosts = { [registry.Host] = new RegistryHostOptions { Username = "osg", Password = Secret } } }))
        {
            await TestImage.Create().WithLayer(TestFile.Text("etc/hello", "from behind basic auth\n")).PushAsync(pusher, $"{registry.Host}/vo/private:1", ct);
        }

        using var h = new SyncHarness();
        h.WriteList($"{registry.Host}/vo/private:1");
        var creds = h.Combine("docker-creds.json");
        File.WriteAllText(creds, "{\"https://" + registry.Host + "\": {\"username\": \"osg\", \"password\": \"" + Secret + "\"}}");

        // Without credentials the registry refuses: the file is what makes the pass succeed.
        var (exit, output, error) = await h.RunCliAsync("sync --once");
        Assert.True(exit == ExitCodes.ImagesFailed, $"exit {exit}\n{output}\n{error}");

        (exit, output, error) = await h.RunCliAsync("sync --once", "--docker-creds", creds);
        Assert.True(exit == ExitCodes.Success, $"exit {exit}\n{output}\n{error}");
        Assert.Equal("from behind basic auth\n", h.ReadFromImage("vo/private:1", "etc/hello"));
        Assert.DoesNotContain(Secret, output + error, StringComparison.Ordinal);
    }

    public static TheoryData<string, string> BadFiles => new()
    {
        { "garbage \u0001 not json", "is not valid JSON" },
        { string.Empty, "is empty" },
        { """[{"https://registry.hub.docker.com": {"username": "u", "password": "p"}}]""", "holds a JSON array, not an object" },
        { """{"https://registry.hub.docker.com": {"username": "u", "password": 42}}""", "has 'password' of 'https://registry.hub.docker.com' as a JSON number; expected a string" },
    };

    [Theory]
    [MemberData(nameof(BadFiles))]
    public async Task A_credentials_file_in_neither_format_stops_validate_sync_and_serve_at_start_naming_it(string content, string problem)
    {
        using var h = new SyncHarness();
        h.WriteList("python:3.12");
        var creds = h.Combine("creds.json");
        File.WriteAllText(creds, content);

        foreach (var (command, args) in new[]
        {
            ("validate --offline " + h.ListPath, new[] { "--set", "Registry:DockerConfigPath=" + creds }),
            ("sync --once", new[] { "--docker-creds", creds }),
            ("serve", new[] { "--docker-creds", creds, "--set", "Http:Urls=http://127.0.0.1:0" }),
        })
        {
            var (exit, output, error) = await h.RunCliAsync(command, args);

            Assert.True(exit == ExitCodes.Usage, $"{command}: exit {exit}\n{output}\n{error}");
            Assert.StartsWith("cvmfs-image-sync: configuration 'Registry:DockerConfigPath' is unusable: ", error, StringComparison.Ordinal);
            Assert.Contains($"the credentials file '{creds}' {problem}", error, StringComparison.Ordinal);
            Assert.Contains("expected a Docker config.json", error, StringComparison.Ordinal);
            Assert.False(Directory.Exists(h.State), $"{command}: nothing is written when the configuration is refused");
            Assert.Empty(Directory.EnumerateFileSystemEntries(h.Root));
        }
    }

    [Fact]
    public async Task A_credentials_file_that_does_not_exist_is_a_bad_setting_naming_it()
    {
        using var h = new SyncHarness();
        h.WriteList("python:3.12");
        var missing = h.Combine("no-such-creds.json");

        var (exit, output, error) = await h.RunCliAsync("sync --once", "--docker-creds", missing);

        Assert.True(exit == ExitCodes.Usage, $"exit {exit}\n{output}\n{error}");
        Assert.Contains($"the credentials file '{missing}' cannot be read", error, StringComparison.Ordinal);
    }
}
