namespace CvmfsImages.Registry.Transport;

/// <summary>
/// Credentials per registry: first <see cref="RegistryClientOptions.Hosts"/>, then the credentials file
/// <see cref="RegistryClientOptions.DockerConfigPath"/>, a Docker <c>config.json</c> or OSG's <c>--docker-creds</c>
/// file (formats: <see cref="CredentialsFile"/>). The file is read once, on first need.
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
        try
        {
            return CredentialsFile.Read(_options.DockerConfigPath!);
        }
        catch (CredentialsFileException ex)
        {
            // A caller that skipped RegistryClientOptions.CheckCredentialsFile at start learns it here, per request;
            // the message names the file, never its content (it holds secrets).
            throw new RegistryException(ex.Message + " (Registry:DockerConfigPath)", ex);
        }
    }
}
