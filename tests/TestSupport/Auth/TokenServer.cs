using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using CvmfsImages.TestSupport.Http;

namespace CvmfsImages.TestSupport.Auth;

/// <summary>
/// A Docker token server for the registry's <c>auth.token</c> mode: <c>GET /token?service=..&amp;scope=..</c> answers
/// an RS256 JWT whose header carries the signing certificate as <c>x5c</c>; the registry trusts that (self-signed)
/// certificate through <c>rootcertbundle</c> (<see cref="AuthYaml"/>). Users in <see cref="Users"/> get every action
/// they ask for; anonymous callers get <c>pull</c> only when <see cref="AllowAnonymousPull"/> is set. Tokens live
/// <see cref="TokenLifetime"/>. Every token request is recorded (<see cref="Requests"/>).
/// </summary>
public sealed class TokenServer : IAsyncDisposable
{
    public const string Service = "test-registry";
    public const string Issuer = "test-token-issuer";

    private readonly RSA _key;
    private readonly X509Certificate2 _certificate;
    private readonly FakeHttpServer _http;

    private TokenServer()
    {
        _key = RSA.Create(2048);
        var request = new CertificateRequest("CN=test token issuer", _key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyCertSign, true));
        _certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        _http = FakeHttpServer.Start(Handle);
    }

    /// <summary>user -> password of the accounts the server accepts (Basic auth on the token request).</summary>
    public ConcurrentDictionary<string, string> Users { get; } = new(StringComparer.Ordinal);

    /// <summary>Whether requests without credentials get pull tokens.</summary>
    public bool AllowAnonymousPull { get; set; } = true;

    /// <summary>The <c>expires_in</c> of issued tokens.</summary>
    public TimeSpan TokenLifetime { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>The token requests received (method, target with service/scope/account, headers).</summary>
    public ConcurrentQueue<FakeRequest> Requests => _http.Requests;

    /// <summary>The realm URL: <c>http://127.0.0.1:PORT/token</c>.</summary>
    public Uri Realm => new(_http.BaseUri, "token");

    public static TokenServer Start() => new();

    /// <summary>The registry's <c>auth:</c> YAML; the bundle lives in the registry's work directory (<see cref="WriteRootBundle"/>).</summary>
    public string AuthYaml => $"""
        auth:
          token:
            realm: {Realm}
            service: {Service}
            issuer: {Issuer}
            rootcertbundle: {"{workdir}"}/token-root.pem
        """;

    /// <summary>Writes the signing certificate (PEM) as <c>token-root.pem</c> into the registry's work directory.</summary>
    public void WriteRootBundle(string workDirectory) =>
        File.WriteAllText(Path.Combine(workDirectory, "token-root.pem"), _certificate.ExportCertificatePem());

    public async ValueTask DisposeAsync()
    {
        await _http.DisposeAsync();
        _certificate.Dispose();
        _key.Dispose();
    }

    private FakeResponse Handle(FakeRequest request)
    {
        if (request.Path != "/token")
        {
            return new FakeResponse(404);
        }

        var query = request.Query.Split('&', StringSplitOptions.RemoveEmptyEntries)
            .Select(p => p.Split('=', 2))
            .Select(p => (Key: Uri.UnescapeDataString(p[0]), Value: p.Length > 1 ? Uri.UnescapeDataString(p[1]) : string.Empty))
            .ToList();
        string? user = null;
        if (request.Header("Authorization") is { } authorization)
        {
            if (!authorization.StartsWith("Basic ", StringComparison.Ordinal))
            {
                return new FakeResponse(401);
            }

            var pair = Encoding.UTF8.GetString(Convert.FromBase64String(authorization[6..])).Split(':', 2);
            if (pair.Length != 2 || !Users.TryGetValue(pair[0], out var password) || password != pair[1])
            {
                return FakeResponse.Text(401, """{"details":"bad credentials"}""");
            }

            user = pair[0];
        }
        else if (!AllowAnonymousPull)
        {
            return new FakeResponse(401);
        }

        var access = new JsonArray();
        foreach (var scope in query.Where(q => q.Key == "scope").Select(q => q.Value))
        {
            // repository:NAME:ACTIONS (NAME may hold ':' only in theory; registry names here do not)
            var parts = scope.Split(':');
            if (parts.Length != 3)
            {
                continue;
            }

            var actions = parts[2].Split(',').Where(a => user is not null || a == "pull").ToArray();
            access.Add(new JsonObject
            {
                ["type"] = parts[0],
                ["name"] = parts[1],
                ["actions"] = new JsonArray([.. actions.Select(a => (JsonNode)a)]),
            });
        }

        var token = Sign(user ?? string.Empty, access);
        var body = new JsonObject
        {
            ["token"] = token,
            ["expires_in"] = (int)TokenLifetime.TotalSeconds,
            ["issued_at"] = DateTimeOffset.UtcNow.ToString("O", System.Globalization.CultureInfo.InvariantCulture),
        };
        return new FakeResponse(200, Encoding.UTF8.GetBytes(body.ToJsonString())).With("Content-Type", "application/json");
    }

    private string Sign(string subject, JsonArray access)
    {
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var header = new JsonObject
        {
            ["typ"] = "JWT",
            ["alg"] = "RS256",
            ["x5c"] = new JsonArray(Convert.ToBase64String(_certificate.RawData)),
        };
        var claims = new JsonObject
        {
            ["iss"] = Issuer,
            ["sub"] = subject,
            ["aud"] = Service,
            ["exp"] = now + (long)TokenLifetime.TotalSeconds,
            ["nbf"] = now - 10,
            ["iat"] = now,
            ["jti"] = Convert.ToHexString(RandomNumberGenerator.GetBytes(8)),
            ["access"] = access,
        };
        var signingInput = Base64Url(JsonSerializer.SerializeToUtf8Bytes(header)) + "." + Base64Url(JsonSerializer.SerializeToUtf8Bytes(claims));
        var signature = _key.SignData(Encoding.ASCII.GetBytes(signingInput), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        return signingInput + "." + Base64Url(signature);
    }

    private static string Base64Url(byte[] data) => Convert.ToBase64String(data).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
