using System.Text;
using System.Text.Json;
using CvmfsImages.Registry.Json;

namespace CvmfsImages.Registry.Transport;

/// <summary>
/// Credentials per registry: first <see cref="RegistryClientOptions.Hosts"/>, then a Docker <c>config.json</c>'s
/// <c>auths</c> (keys like <c>ghcr.io</c>, <c>https://ghcr.io</c>, <c>https://index.docker.io/v1/</c>; values with a base64
/// <c>auth</c> of <c>user:password</c> or separate fields). The file is read once, on first need.
/// </summary>
internal sealed class CredentialStore
{
    private readonly RegistryClientOptions _options;
    private readonly Lazy<IReadOnlyDictionary<string, Credentials>> _dockerConfig;

    public CredentialStore(RegistryClientOptions options)
    {
        _options = options;
        _dockerConfig = new Lazy<IReadOnlyDictionary<string, Credentials>>(LoadDockerConfig, LazyThreadSafetyMode.ExecutionAndPublication);
    }

    /// <summary>Credentials for an authority (host:port) as requests name it, or null for anonymous access.</summary>
    public Credentials? Find(string authority)
    {
        var registry = Normalize(authority);
        var host = _options.FindHost(registry);
        if (host?.Username is { } user)
        {
            return new Credentials(user, host.Password ?? string.Empty);
        }

        return _options.DockerConfigPath is null ? null : _dockerConfig.Value.GetValueOrDefault(registry);
    }

    /// <summary><c>https://index.docker.io/v1/</c> -> <c>docker.io</c>; <c>https://ghcr.io</c> -> <c>ghcr.io</c>.</summary>
    public static string Normalize(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        var host = key.Trim();
        var scheme = host.IndexOf("://", StringComparison.Ordinal);
        if (scheme >= 0)
        {
            host = host[(scheme + 3)..];
        }

        var slash = host.IndexOf('/', StringComparison.Ordinal);
        if (slash >= 0)
        {
            host = host[..slash];
        }

        host = host.ToLowerInvariant();
        return host is "index.docker.io" or "registry-1.docker.io" or "registry.hub.docker.com" ? Names.RepositoryName.DockerHub : host;
    }

    private Dictionary<string, Credentials> LoadDockerConfig()
    {
        var path = _options.DockerConfigPath!;
        JsonDockerConfig? config;
        try
        {
            var bytes = File.ReadAllBytes(path);
            config = JsonSerializer.Deserialize(bytes, RegistryJsonContext.Default.JsonDockerConfig);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or JsonException)
        {
            // The message names the file, never its content (it holds secrets).
            throw new RegistryException($"cannot read the docker config '{path}' (Registry:DockerConfigPath): {(ex is JsonException ? "not valid JSON" : ex.Message)}", ex is JsonException ? null : ex);
        }

        var result = new Dictionary<string, Credentials>(StringComparer.OrdinalIgnoreCase);
        foreach (var (key, entry) in config?.Auths ?? [])
        {
            var credentials = Decode(entry);
            if (credentials is not null)
            {
                result.TryAdd(Normalize(key), credentials);
            }
        }

        return result;
    }

    private static Credentials? Decode(JsonDockerAuth? entry)
    {
        if (entry is null)
        {
            return null;
        }

        if (!string.IsNullOrEmpty(entry.Auth))
        {
            try
            {
                var text = Encoding.UTF8.GetString(Convert.FromBase64String(entry.Auth));
                var colon = text.IndexOf(':', StringComparison.Ordinal);
                if (colon > 0)
                {
                    return new Credentials(text[..colon], text[(colon + 1)..]);
                }
            }
            catch (FormatException)
            {
                // A malformed entry is skipped like a missing one: anonymous access may still work.
            }
        }

        return string.IsNullOrEmpty(entry.Username) ? null : new Credentials(entry.Username, entry.Password ?? string.Empty);
    }
}
