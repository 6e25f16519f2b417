using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace CvmfsImages.TestSupport;

/// <summary>
/// The real Distribution registry (Debian's <c>docker-registry</c>, v2.8) started for a test: a config file and
/// storage in a temp directory, a free port on 127.0.0.1, ready once <c>/v2/</c> answers; stopped by its own process
/// id on dispose.
/// </summary>
public sealed class DistributionRegistry : IAsyncDisposable
{
    private const string Binary = "docker-registry";
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(30);

    private readonly Process _process;
    private readonly TempDirectory _dir;
    private readonly StringBuilder _output;

    private DistributionRegistry(Process process, TempDirectory dir, StringBuilder output, int port, X509Certificate2? certificate)
    {
        _process = process;
        _dir = dir;
        _output = output;
        Port = port;
        Certificate = certificate;
    }

    /// <summary>The registry's self-signed certificate (for 127.0.0.1) when it serves HTTPS, else null.</summary>
    public X509Certificate2? Certificate { get; }

    /// <summary>The port on 127.0.0.1 the registry listens on.</summary>
    public int Port { get; }

    /// <summary><c>127.0.0.1:PORT</c>, the registry part of an image reference.</summary>
    public string Host => string.Create(CultureInfo.InvariantCulture, $"127.0.0.1:{Port}");

    /// <summary><c>http://127.0.0.1:PORT</c>, or <c>https://</c> when it serves TLS.</summary>
    public Uri BaseUri => new(string.Create(CultureInfo.InvariantCulture, $"{(Certificate is null ? "http" : "https")}://127.0.0.1:{Port}"));

    /// <summary>The registry's storage root (for tests that corrupt or inspect stored blobs).</summary>
    public string StorageDirectory => _dir.Combine("storage");

    /// <summary>A directory the test may use for its own files (htpasswd, certificates); removed with the registry.</summary>
    public string WorkDirectory => _dir.Path;

    /// <summary>What the registry printed so far (its log), for failure messages.</summary>
    public string Log
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    /// <summary>
    /// Starts a registry. <paramref name="authYaml"/> is the YAML of an <c>auth:</c> section (indented by two spaces
    /// per level, starting at column 0 with <c>auth:</c>), or null for an open registry; <c>{workdir}</c> in it stands
    /// for the work directory. <paramref name="prepare"/> runs first with the work directory, to write files the auth
    /// section names (htpasswd, certificates).
    /// With <paramref name="tls"/> it serves HTTPS (and so HTTP/2, which Go offers over TLS) with a fresh self-signed
    /// certificate for 127.0.0.1; <see cref="CreateTrustingHandler"/> makes a transport that trusts exactly it.
    /// Skips the test (fails it under CI) when the binary is not installed.
    /// </summary>
    public static async Task<DistributionRegistry> StartAsync(
        string? authYaml = null,
        Action<string>? prepare = null,
        bool tls = false,
        bool accessLog = false,
        CancellationToken cancellationToken = default)
    {
        var binary = RequiredTool.Require(Binary, "docker-registry");
        var dir = new TempDirectory("registry");
        try
        {
            prepare?.Invoke(dir.Path);
            Directory.CreateDirectory(dir.Combine("storage"));
            var certificate = tls ? WriteCertificate(dir) : null;
            var tlsYaml = tls
                ? $"  tls:\n    certificate: {dir.Combine("tls.crt")}\n    key: {dir.Combine("tls.key")}"
                : null;

            // A port taken between probing and binding makes the registry exit; try a few ports before giving up.
            Exception? last = null;
            for (var attempt = 0; attempt < 5; attempt++)
            {
                var port = FreePort();
                var config = dir.Combine("config.yml");
                await File.WriteAllTextAsync(config, Config(dir.Combine("storage"), port, authYaml?.Replace("{workdir}", dir.Path, StringComparison.Ordinal), tlsYaml, accessLog), cancellationToken);
                var output = new StringBuilder();
                var process = Launch(binary, config, output);
                var registry = new DistributionRegistry(process, dir, output, port, certificate);
                try
                {
                    await registry.WaitUntilReadyAsync(cancellationToken);
                    return registry;
                }
                catch (InvalidOperationException ex) when (process.HasExited && registry.Log.Contains("address already in use", StringComparison.Ordinal))
                {
                    last = ex;
                }
                catch
                {
                    registry.Stop();
                    throw;
                }
            }

            throw new InvalidOperationException("docker-registry could not bind a free port after 5 attempts", last);
        }
        catch
        {
            dir.Dispose();
            throw;
        }
    }

    /// <summary>
    /// A transport for a <c>RegistryClient</c> (or any HttpClient) that trusts this registry's certificate and nothing
    /// else, follows no redirects, and speaks HTTP/2 where asked to.
    /// </summary>
    public SocketsHttpHandler CreateTrustingHandler()
    {
        var expected = Certificate ?? throw new InvalidOperationException("this registry serves plain HTTP");
        return new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            UseCookies = false,
            SslOptions = new SslClientAuthenticationOptions
            {
                RemoteCertificateValidationCallback = (_, presented, _, _) =>
                    presented is not null && presented.GetRawCertData().AsSpan().SequenceEqual(expected.RawData),
            },
        };
    }

    public ValueTask DisposeAsync()
    {
        Stop();
        _dir.Dispose();
        return ValueTask.CompletedTask;
    }

    private void Stop()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit(TimeSpan.FromSeconds(10));
            }
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }

        _process.Dispose();
    }

    /// <summary>A self-signed certificate for 127.0.0.1 as tls.crt and tls.key (PEM) in the work directory.</summary>
    private static X509Certificate2 WriteCertificate(TempDirectory dir)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=127.0.0.1", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(names.Build());
        var now = DateTimeOffset.UtcNow;
        var certificate = request.CreateSelfSigned(now.AddMinutes(-5), now.AddDays(1));
        File.WriteAllText(dir.Combine("tls.crt"), certificate.ExportCertificatePem());
        File.WriteAllText(dir.Combine("tls.key"), key.ExportPkcs8PrivateKeyPem());
        return certificate;
    }

    private static string Config(string storage, int port, string? authYaml, string? tlsYaml, bool accessLog)
    {
        var sb = new StringBuilder();
        sb.AppendLine("version: 0.1");
        sb.AppendLine("log:");
        sb.AppendLine("  level: warn");
        sb.AppendLine("  accesslog:");
        sb.AppendLine(accessLog ? "    disabled: false" : "    disabled: true");
        sb.AppendLine("storage:");
        sb.AppendLine("  filesystem:");
        sb.AppendLine(CultureInfo.InvariantCulture, $"    rootdirectory: {storage}");
        sb.AppendLine("  delete:");
        sb.AppendLine("    enabled: true");
        sb.AppendLine("  maintenance:");
        sb.AppendLine("    uploadpurging:");
        sb.AppendLine("      enabled: false");
        sb.AppendLine("http:");
        sb.AppendLine(CultureInfo.InvariantCulture, $"  addr: 127.0.0.1:{port}");
        sb.AppendLine("  secret: test-only-upload-state-secret");
        if (tlsYaml is not null)
        {
            sb.AppendLine(tlsYaml);
        }
        if (authYaml is not null)
        {
            sb.AppendLine(authYaml.TrimEnd());
        }

        return sb.ToString();
    }

    private static Process Launch(string binary, string config, StringBuilder output)
    {
        var psi = new ProcessStartInfo(binary)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        psi.ArgumentList.Add("serve");
        psi.ArgumentList.Add(config);

        // The registry reads REGISTRY_* variables as config overrides; the test's config must be the whole truth.
        foreach (var key in psi.Environment.Keys.Where(k => k.StartsWith("REGISTRY_", StringComparison.Ordinal)).ToList())
        {
            psi.Environment.Remove(key);
        }

        var process = new Process { StartInfo = psi };
        DataReceivedEventHandler append = (_, e) =>
        {
            if (e.Data is not null)
            {
                lock (output)
                {
                    output.AppendLine(e.Data);
                }
            }
        };
        process.OutputDataReceived += append;
        process.ErrorDataReceived += append;
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    private async Task WaitUntilReadyAsync(CancellationToken cancellationToken)
    {
        using var http = Certificate is null
            ? new HttpClient { Timeout = TimeSpan.FromSeconds(2) }
            : new HttpClient(CreateTrustingHandler()) { Timeout = TimeSpan.FromSeconds(2) };
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < StartTimeout)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException(
                    $"docker-registry exited with code {_process.ExitCode} before answering /v2/:\n{Log}");
            }

            try
            {
                using var response = await http.GetAsync(new Uri(BaseUri, "/v2/"), cancellationToken);
                if (response.StatusCode is HttpStatusCode.OK or HttpStatusCode.Unauthorized)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }
            catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                // A slow first answer; ask again.
            }

            await Task.Delay(50, cancellationToken);
        }

        throw new InvalidOperationException($"docker-registry did not answer /v2/ within {StartTimeout.TotalSeconds} s:\n{Log}");
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
