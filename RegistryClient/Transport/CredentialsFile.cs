using System.Text;
using System.Text.Json;
using CvmfsImages.Registry.Names;

namespace CvmfsImages.Registry.Transport;

/// <summary>
/// Reads the credentials file of <see cref="RegistryClientOptions.DockerConfigPath"/> in either of two formats:
/// <list type="bullet">
/// <item>Docker's <c>config.json</c>: <c>{"auths": {"&lt;registry&gt;": {"auth": "&lt;base64 user:password&gt;"}}}</c>
/// or <c>{"username": .., "password": ..}</c> in an entry (keys like <c>ghcr.io</c>, <c>https://ghcr.io</c>,
/// <c>https://index.docker.io/v1/</c>). Other top-level keys (<c>psFormat</c>, <c>proxies</c>, ...) are ignored.
/// Not supported, each an error naming it: <c>credsStore</c> and <c>credHelpers</c> (this client runs no helper
/// program) and entries that carry only an <c>identitytoken</c> or <c>registrytoken</c> (OAuth tokens).</item>
/// <item>OSG's <c>--docker-creds</c> file (cvmfs-singularity-sync, HEAD 07b0da3: <c>DOCKER_CREDS.get("https://" +
/// registry)</c> passed as keyword arguments to its <c>DockerHub</c> client): top-level keys are registry URLs
/// (<c>https://registry.hub.docker.com</c>, <c>https://ghcr.io</c>), values <c>{"username": .., "password": ..}</c>.
/// Its <c>token</c> field (a ready Docker Hub JWT) is not supported.</item>
/// </list>
/// A file is Docker's when it has <c>auths</c>, <c>credsStore</c> or <c>credHelpers</c> at the top, else OSG's.
/// Keys are normalised by <see cref="CredentialStore.Normalize"/>, so <c>registry.hub.docker.com</c>,
/// <c>index.docker.io</c>, <c>registry-1.docker.io</c> and <c>docker.io</c> are one registry; two keys for one
/// registry with different credentials are an error. A file that holds no credentials at all is an error too: a
/// configured file that silently gives anonymous access hides a mistake. Messages name the file and the JSON path,
/// never a secret.
/// </summary>
internal static class CredentialsFile
{
    /// <summary>Files larger than this are refused (a file with a thousand registries is far smaller).</summary>
    public const int MaxBytes = 1024 * 1024;

    private static readonly string[] DockerKeys = ["auths", "credsStore", "credHelpers"];

    /// <summary>Reads and parses <paramref name="path"/>; the credentials by normalised registry.</summary>
    /// <exception cref="CredentialsFileException">The file cannot be read or is in neither format.</exception>
    public static Dictionary<string, Credentials> Read(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        byte[] bytes;
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
            if (stream.Length > MaxBytes)
            {
                throw new CredentialsFileException(path, $"is larger than {MaxBytes} bytes", null);
            }

            using var buffer = new MemoryStream();
            stream.CopyTo(buffer);
            bytes = buffer.ToArray();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new CredentialsFileException(path, "cannot be read: " + ex.Message, ex, withExpected: false);
        }

        return Parse(bytes, path);
    }

    /// <summary>Parses the bytes of a credentials file; <paramref name="path"/> names it in messages.</summary>
    /// <exception cref="CredentialsFileException">The bytes are in neither format.</exception>
    public static Dictionary<string, Credentials> Parse(ReadOnlyMemory<byte> json, string path)
    {
        if (json.Span.Trim(" \t\r\n"u8).IsEmpty)
        {
            throw new CredentialsFileException(path, "is empty", null);
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = 16, CommentHandling = JsonCommentHandling.Disallow });
        }
        catch (JsonException ex)
        {
            // Not ex.Message: it quotes the bytes where parsing stopped, which may be part of a password.
            throw new CredentialsFileException(path, $"is not valid JSON (line {(ex.LineNumber ?? 0) + 1})", ex);
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw new CredentialsFileException(path, $"holds a JSON {Kind(root)}, not an object", null);
            }

            var found = new Dictionary<string, (string Key, Credentials Credentials)>(StringComparer.OrdinalIgnoreCase);
            if (root.EnumerateObject().Any(p => DockerKeys.Contains(p.Name, StringComparer.OrdinalIgnoreCase)))
            {
                ReadDockerConfig(root, path, found);
            }
            else
            {
                ReadOsgCreds(root, path, found);
            }

            if (found.Count == 0)
            {
                throw new CredentialsFileException(path, "holds no credentials (to pull anonymously, unset Registry:DockerConfigPath)", null);
            }

            return found.ToDictionary(e => e.Key, e => e.Value.Credentials, StringComparer.OrdinalIgnoreCase);
        }
    }

    private static void ReadDockerConfig(JsonElement root, string path, Dictionary<string, (string, Credentials)> found)
    {
        foreach (var property in root.EnumerateObject())
        {
            if (Is(property, "credsStore") && property.Value.ValueKind is not JsonValueKind.Null
                && !(property.Value.ValueKind == JsonValueKind.String && property.Value.GetString() is { Length: 0 }))
            {
                throw new CredentialsFileException(path, "names a credential store ('credsStore'); credential helper programs are not run: put the credentials in 'auths' or in Registry:Hosts", null);
            }

            if (Is(property, "credHelpers") && property.Value.ValueKind == JsonValueKind.Object && property.Value.EnumerateObject().Any())
            {
                var names = string.Join(", ", property.Value.EnumerateObject().Select(p => $"'{Printable(p.Name)}'"));
                throw new CredentialsFileException(path, $"names credential helpers ('credHelpers' for {names}); helper programs are not run: put the credentials in 'auths' or in Registry:Hosts", null);
            }

            if (!Is(property, "auths") || property.Value.ValueKind == JsonValueKind.Null)
            {
                continue;
            }

            if (property.Value.ValueKind != JsonValueKind.Object)
            {
                throw new CredentialsFileException(path, $"has 'auths' as a JSON {Kind(property.Value)}; expected an object of registries", null);
            }

            foreach (var entry in property.Value.EnumerateObject())
            {
                var where = $"'auths.{Printable(entry.Name)}'";
                var registry = RegistryOf(entry.Name, path, where);
                var credentials = ReadDockerEntry(entry.Value, path, where);
                Add(found, registry, entry.Name, credentials, path);
            }
        }
    }

    private static Credentials ReadDockerEntry(JsonElement entry, string path, string where)
    {
        if (entry.ValueKind != JsonValueKind.Object)
        {
            throw new CredentialsFileException(path, $"has {where} as a JSON {Kind(entry)}; expected an object", null);
        }

        string? auth = null, username = null, password = null, token = null;
        foreach (var field in entry.EnumerateObject())
        {
            switch (field.Name.ToLowerInvariant())
            {
                case "auth":
                    auth = String(field, path, where);
                    break;
                case "username":
                    username = String(field, path, where);
                    break;
                case "password":
                    password = String(field, path, where);
                    break;
                case "identitytoken" or "registrytoken":
                    token ??= String(field, path, where) is { Length: > 0 } ? field.Name : null;
                    break;
                default:
                    // email, serveraddress and what later Docker versions add carry no secret.
                    _ = String(field, path, where);
                    break;
            }
        }

        if (token is not null)
        {
            throw new CredentialsFileException(path, $"has an OAuth token in {where} ('{token}'), which this client does not use: give 'auth' (base64 of user:password), or 'username' and 'password'", null);
        }

        if (!string.IsNullOrEmpty(auth))
        {
            return DecodeAuth(auth, path, where);
        }

        return UserAndPassword(username, password, path, where, "no credentials ('auth', or 'username' and 'password')");
    }

    private static void ReadOsgCreds(JsonElement root, string path, Dictionary<string, (string, Credentials)> found)
    {
        foreach (var entry in root.EnumerateObject())
        {
            var where = $"'{Printable(entry.Name)}'";
            var registry = RegistryOf(entry.Name, path, where);
            if (entry.Value.ValueKind != JsonValueKind.Object)
            {
                throw new CredentialsFileException(path, $"has {where} as a JSON {Kind(entry.Value)}; expected an object with 'username' and 'password'", null);
            }

            string? username = null, password = null;
            foreach (var field in entry.Value.EnumerateObject())
            {
                switch (field.Name)
                {
                    case "username":
                        username = String(field, path, where);
                        break;
                    case "password":
                        password = String(field, path, where);
                        break;
                    case "token":
                        throw new CredentialsFileException(path, $"has a ready-made 'token' in {where}, which this client does not use: give 'username' and 'password'", null);
                    default:
                        throw new CredentialsFileException(path, $"has the field '{Printable(field.Name)}' in {where}; expected only 'username' and 'password'", null);
                }
            }

            Add(found, registry, entry.Name, UserAndPassword(username, password, path, where, "no 'username' and 'password'"), path);
        }
    }

    private static Credentials UserAndPassword(string? username, string? password, string path, string where, string none)
    {
        if (string.IsNullOrEmpty(username))
        {
            throw new CredentialsFileException(path, password is null ? $"has {none} in {where}" : $"has a 'password' but no 'username' in {where}", null);
        }

        if (password is null)
        {
            throw new CredentialsFileException(path, $"has a 'username' but no 'password' in {where}", null);
        }

        return new Credentials(username, password);
    }

    private static Credentials DecodeAuth(string auth, string path, string where)
    {
        string text;
        try
        {
            text = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(Convert.FromBase64String(auth));
        }
        catch (Exception ex) when (ex is FormatException or DecoderFallbackException)
        {
            throw new CredentialsFileException(path, $"has an 'auth' in {where} that is not base64 of UTF-8 text", ex);
        }

        var colon = text.IndexOf(':', StringComparison.Ordinal);
        return colon > 0
            ? new Credentials(text[..colon], text[(colon + 1)..])
            : throw new CredentialsFileException(path, $"has an 'auth' in {where} that does not decode to 'user:password'", null);
    }

    private static string RegistryOf(string key, string path, string where)
    {
        var registry = CredentialStore.Normalize(key);
        return registry.Length > 0 && RepositoryName.TryParse(registry + "/x", out var parsed, out _) && parsed.Registry == registry
            ? registry
            : throw new CredentialsFileException(path, $"has the key {where}, which is not a registry (host[:port] or a URL such as 'https://ghcr.io')", null);
    }

    private static void Add(Dictionary<string, (string Key, Credentials Credentials)> found, string registry, string key, Credentials credentials, string path)
    {
        if (found.TryGetValue(registry, out var other))
        {
            if (other.Credentials != credentials)
            {
                throw new CredentialsFileException(path, $"has '{Printable(other.Key)}' and '{Printable(key)}', both the registry {registry}, with different credentials: keep one", null);
            }

            return;
        }

        found.Add(registry, (key, credentials));
    }

    private static string? String(JsonProperty field, string path, string where) => field.Value.ValueKind switch
    {
        JsonValueKind.String => field.Value.GetString(),
        JsonValueKind.Null => null,
        _ => throw new CredentialsFileException(path, $"has '{Printable(field.Name)}' of {where} as a JSON {Kind(field.Value)}; expected a string", null),
    };

    private static bool Is(JsonProperty property, string name) => string.Equals(property.Name, name, StringComparison.OrdinalIgnoreCase);

    private static string Kind(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.Object => "object",
        JsonValueKind.Array => "array",
        JsonValueKind.String => "string",
        JsonValueKind.Number => "number",
        JsonValueKind.True or JsonValueKind.False => "boolean",
        JsonValueKind.Null => "null",
        _ => "value",
    };

    // Keys go into messages on a terminal: no control characters, bounded length.
    private static string Printable(string text)
    {
        var builder = new StringBuilder(Math.Min(text.Length, 100));
        foreach (var c in text.Length > 100 ? text[..100] : text)
        {
            builder.Append(char.IsControl(c) ? '?' : c);
        }

        return text.Length > 100 ? builder.Append("...").ToString() : builder.ToString();
    }
}
