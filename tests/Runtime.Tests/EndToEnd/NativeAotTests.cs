using Xunit;

namespace CvmfsImages.Tests.Runtime.EndToEnd;

/// <summary>Smoke tests of the published NativeAOT command: the paths the AOT build changes (libc, errno, JSON).</summary>
public sealed class NativeAotTests(NativeAotFrontEnd published) : IClassFixture<NativeAotFrontEnd>
{
    [Fact]
    public void Exit_status_binds_and_errors_work_in_the_published_command()
    {
        var sandbox = published.Require();
        Assert.Equal(42, sandbox.Run(["exec", sandbox.Image, "sh", "-c", "exit 42"]).ExitCode);
        Assert.Equal(42, sandbox.Run(["exec", "-p", sandbox.Image, "sh", "-c", "exit 42"]).ExitCode);

        var data = sandbox.CreateFolder("aot-data");
        File.WriteAllText(Path.Combine(data, "m"), "m");
        var ro = sandbox.Run(["exec", "-B", $"{data}:/opt/d:ro", sandbox.Image, "sh", "-c", "cat /opt/d/m; id -u; touch /opt/d/x"]);
        Assert.NotEqual(0, ro.ExitCode);
        Assert.Equal("m65534\n", ro.Stdout);
        Assert.False(File.Exists(Path.Combine(data, "x")));

        var bad = sandbox.Run(["exec", "-B", "/no/such/source:/x", sandbox.Image, "true"]);
        Assert.Equal(255, bad.ExitCode);
        Assert.Equal("FATAL:   --bind: source /no/such/source does not exist on the host\n", bad.Stderr);

        var json = sandbox.Run(["inspect", "--json", sandbox.Image]);
        Assert.True(json.ExitCode == 0, json.ToString());
        using var document = System.Text.Json.JsonDocument.Parse(json.Stdout);
        Assert.Equal("value", document.RootElement.GetProperty("data").GetProperty("attributes").GetProperty("labels").GetProperty("org.label").GetString());

        // The trace record's libc socket calls, bound at link time in the AOT build.
        var socketPath = Path.Combine(sandbox.Root, "aot-log.sock");
        using (var log = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.Unix, System.Net.Sockets.SocketType.Dgram, System.Net.Sockets.ProtocolType.Unspecified))
        {
            log.Bind(new System.Net.Sockets.UnixDomainSocketEndPoint(socketPath));
            File.SetUnixFileMode(socketPath, (UnixFileMode)0b110_110_110);
            log.ReceiveTimeout = 30_000;
            var traced = sandbox.Run(["exec", sandbox.Image, "true"], config: sandbox.WriteConfig("aot-trace", $"trace socket = {socketPath}\n"));
            Assert.True(traced.ExitCode == 0, traced.ToString());
            var buffer = new byte[8192];
            var record = System.Text.Encoding.UTF8.GetString(buffer, 0, log.Receive(buffer));
            Assert.Contains($"container-start time=", record, StringComparison.Ordinal);
            Assert.Contains($" uid=\"65534\" user=\"nobody\" ", record, StringComparison.Ordinal);
            Assert.Contains($" image=\"{sandbox.Image}\" ", record, StringComparison.Ordinal);
        }

        var debug = sandbox.Run(["-d", "exec", sandbox.Image, "true"]);
        Assert.Equal(0, debug.ExitCode);
        Assert.Matches(@"(?m)^DEBUG   \[U=65534,P=\d+\]\s+Load\(\)\s+Parsing configuration file ", debug.Stderr);
    }
}
