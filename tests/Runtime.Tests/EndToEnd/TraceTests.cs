using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;
using Xunit;

namespace CvmfsImages.Tests.Runtime.EndToEnd;

/// <summary>TraceBehaviour, with the unprivileged starter (user namespaces).</summary>
[Collection(FrontEndTestGroup.Name)]
public sealed class TraceTests(FrontEndSandbox sandbox) : TraceBehaviour(sandbox);

/// <summary>TraceBehaviour, in setuid mode (a node without unprivileged user namespaces, installed with --setuid).</summary>
[Collection(SetuidFrontEndTestGroup.Name)]
public sealed class TraceSetuidTests(SetuidFrontEndSandbox sandbox) : TraceBehaviour(sandbox);

/// <summary>
/// The trace record of every container start, received on a real unix datagram socket that the test binds (the
/// root-only config names it with <c>trace socket</c>; the default is /dev/log).
/// </summary>
public abstract partial class TraceBehaviour(FrontEndSandbox sandbox)
{
    private static readonly TimeSpan ReceiveTimeout = TimeSpan.FromSeconds(30);

    [Fact]
    public void Every_start_writes_one_record_with_who_what_where_and_the_pilot_s_variables()
    {
        using var log = new SyslogSocket(sandbox, "trace-a");
        var config = sandbox.WriteConfig("trace-a", $"trace socket = {log.Path}\ntrace facility = local3\ntrace environment = GLIDEIN_*, X509_USER_PROXY\n");
        var cwd = sandbox.CreateFolder("trace-cwd");

        var r = sandbox.Run(
            ["exec", sandbox.Image, "sh", "-c", "echo payload", "two words"],
            env: new() { ["GLIDEIN_Site"] = "Example_T2", ["X509_USER_PROXY"] = "/tmp/x509up_u1000", ["SECRET_TOKEN"] = "hunter2" },
            config: config,
            cwd: cwd);
        var record = log.Receive();

        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Equal("payload\n", r.Stdout);
        // <PRI> = local3 (19) * 8 + notice (5); the header is glibc's syslog(3) format.
        Assert.Matches(@"^<157>[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d singularity\[\d+\]: container-start time=""\d{4}-\d\d-\d\dT[\d:.]+Z"" ", record);
        Assert.Contains(" uid=\"65534\" user=\"nobody\" ", record, StringComparison.Ordinal);
        Assert.Contains($" action=\"exec\" image=\"{sandbox.Image}\" image_resolved=\"{sandbox.Image}\" ", record, StringComparison.Ordinal);
        Assert.Contains($" cwd=\"{cwd}\" ", record, StringComparison.Ordinal);
        Assert.Contains(@" command=""sh -c 'echo payload' 'two words'"" ", record, StringComparison.Ordinal);
        Assert.Contains(" env.GLIDEIN_Site=\"Example_T2\" env.X509_USER_PROXY=\"/tmp/x509up_u1000\"", record, StringComparison.Ordinal);
        Assert.DoesNotContain("SECRET_TOKEN", record, StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2", record, StringComparison.Ordinal);
        var pid = PidField().Match(record).Groups[1].Value;
        Assert.Contains($"singularity[{pid}]:", record, StringComparison.Ordinal);
        Assert.Null(log.Receive(TimeSpan.FromMilliseconds(200), orNull: true));
    }

    [Fact]
    public void Hostile_arguments_and_values_cannot_end_the_record_or_forge_a_field()
    {
        using var log = new SyslogSocket(sandbox, "trace-b");
        var config = sandbox.WriteConfig("trace-b", $"trace socket = {log.Path}\ntrace environment = GLIDEIN_*\n");
        var hostile = "x\" uid=\"0\nsingularity[1]: container-start uid=\"0\"\r\\";

        var r = sandbox.Run(["exec", sandbox.Image, "true", hostile, new string('a', 5000)], env: new() { ["GLIDEIN_Owner"] = hostile }, config: config);
        var record = log.Receive();

        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.DoesNotContain('\n', record);
        Assert.DoesNotContain('\r', record);
        Assert.Single(Regex.Matches(record, " uid=\""));
        Assert.Contains(@"env.GLIDEIN_Owner=""x\"" uid=\""0\x0asingularity[1]: container-start uid=\""0\""\x0d\\""", record, StringComparison.Ordinal);
        Assert.Contains("aaaa...\" env.", record, StringComparison.Ordinal);
        Assert.EndsWith(" truncated=\"command\"", record, StringComparison.Ordinal);
        Assert.True(Encoding.UTF8.GetByteCount(record) < 8192);
    }

    [Fact]
    public void The_publisher_s_metadata_beside_the_image_names_its_source_and_digest()
    {
        using var log = new SyslogSocket(sandbox, "trace-c");
        var config = sandbox.WriteConfig("trace-c", $"trace socket = {log.Path}\n");
        var images = Directory.CreateDirectory(Path.Combine(sandbox.Root, "repo", ".images", "ab")).FullName;
        var image = Support.BusyboxImage.Create(Path.Combine(images, "cdef"));
        var digest = "sha256:" + new string('1', 64);
        File.WriteAllText(image + ".json", $$"""{ "schemaVersion": 1, "configDigest": "sha256:ab{{new string('0', 62)}}", "manifestDigest": "{{digest}}", "sources": ["docker.io/library/busybox:1.36"], "platform": "linux/amd64" }""");
        File.SetUnixFileMode(image + ".json", (UnixFileMode)0b110_100_100);
        foreach (var dir in new[] { Path.Combine(sandbox.Root, "repo"), Path.Combine(sandbox.Root, "repo", ".images"), images })
        {
            File.SetUnixFileMode(dir, FrontEndSandbox.Mode0755);
        }

        var link = Path.Combine(sandbox.Root, "repo", "busybox:1.36");
        File.CreateSymbolicLink(link, ".images/ab/cdef");

        var r = sandbox.Run(["exec", link, "true"], config: config);
        var record = log.Receive();

        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Contains($" image=\"{link}\" image_resolved=\"{image}\" image_source=\"docker.io/library/busybox:1.36\" image_digest=\"{digest}\" ", record, StringComparison.Ordinal);
    }

    [Fact]
    public void Off_in_the_config_writes_nothing()
    {
        using var log = new SyslogSocket(sandbox, "trace-d");
        var config = sandbox.WriteConfig("trace-d", $"trace socket = {log.Path}\ntrace syslog = no\n");

        var r = sandbox.Run(["exec", sandbox.Image, "true"], config: config);

        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Null(log.Receive(TimeSpan.FromSeconds(1), orNull: true));
    }

    [Fact]
    public void A_missing_syslog_socket_is_not_an_error_and_says_so_only_with_debug()
    {
        var config = sandbox.WriteConfig("trace-e", $"trace socket = {sandbox.Root}/no-such.sock\n");

        var quiet = sandbox.Run(["exec", sandbox.Image, "echo", "ran"], config: config);
        var debug = sandbox.Run(["-d", "exec", sandbox.Image, "echo", "ran"], config: config);

        Assert.True(quiet.ExitCode == 0, quiet.ToString());
        Assert.Equal("ran\n", quiet.Stdout);
        Assert.Empty(quiet.Stderr);
        Assert.Equal(0, debug.ExitCode);
        Assert.Matches(@"(?m)^DEBUG .*No trace record: nothing listens on .*/no-such\.sock \(connect: No such file or directory\)$", debug.Stderr);
    }

    [GeneratedRegex(@" pid=""(\d+)""")]
    private static partial Regex PidField();

    /// <summary>A unix datagram socket bound in the sandbox, writable by nobody, that collects syslog records.</summary>
    private sealed class SyslogSocket : IDisposable
    {
        private readonly Socket _socket = new(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);

        public SyslogSocket(FrontEndSandbox sandbox, string name)
        {
            Path = System.IO.Path.Combine(sandbox.Root, name + ".sock");
            _socket.Bind(new UnixDomainSocketEndPoint(Path));
            File.SetUnixFileMode(Path, (UnixFileMode)0b110_110_110);
        }

        public string Path { get; }

        public string Receive() => Receive(ReceiveTimeout, orNull: false)!;

        public string? Receive(TimeSpan timeout, bool orNull)
        {
            _socket.ReceiveTimeout = (int)timeout.TotalMilliseconds;
            var buffer = new byte[65536];
            try
            {
                var n = _socket.Receive(buffer);
                return Encoding.UTF8.GetString(buffer, 0, n);
            }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.TimedOut && orNull)
            {
                return null;
            }
        }

        public void Dispose()
        {
            _socket.Dispose();
            File.Delete(Path);
        }
    }
}
