namespace CvmfsImages.Sync.Configuration;

/// <summary>
/// What the command line overrides in the configuration: the list, the directory backend's root, registry mirrors,
/// the registry credentials file, platforms, and free <c>Key=Value</c> settings (<c>--set Sync:MaxConcurrentPulls=4</c>).
/// </summary>
internal sealed record CommandLineOverrides
{
    public string? ConfigFile { get; init; }

    public string? List { get; init; }

    public string? Root { get; init; }

    public IReadOnlyList<string> Mirrors { get; init; } = [];

    /// <summary><c>--docker-creds</c>: the credentials file (<c>Registry:DockerConfigPath</c>), named as OSG's script names it.</summary>
    public string? DockerCreds { get; init; }

    public IReadOnlyList<string> Platforms { get; init; } = [];

    public IReadOnlyList<string> Settings { get; init; } = [];

    /// <summary>The overrides as configuration keys; <see cref="OptionsException"/> naming the option for malformed ones.</summary>
    public Dictionary<string, string?> ToConfiguration()
    {
        var values = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        if (List is not null)
        {
            values["Sync:List"] = List;
        }

        if (Root is not null)
        {
            values["Publisher:Backend"] = "directory";
            values["Publisher:Root"] = Root;
        }

        foreach (var mirror in Mirrors)
        {
            var eq = mirror.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0 || eq == mirror.Length - 1)
            {
                throw new OptionsException("--registry-mirror", $"'{mirror}' must be 'registry=URL', e.g. docker.io=http://127.0.0.1:5000");
            }

            var url = mirror[(eq + 1)..];
            if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
            {
                throw new OptionsException("--registry-mirror", $"'{url}' is not an http(s) URL");
            }

            values[$"Registry:Hosts:{mirror[..eq]}:Mirror"] = url;
        }

        if (DockerCreds is not null)
        {
            values["Registry:DockerConfigPath"] = DockerCreds;
        }

        for (var i = 0; i < Platforms.Count; i++)
        {
            values[$"Sync:Platforms:{i}"] = Platforms[i];
        }

        foreach (var setting in Settings)
        {
            var eq = setting.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0)
            {
                throw new OptionsException("--set", $"'{setting}' must be 'Section:Key=Value', e.g. Sync:MaxConcurrentPulls=4");
            }

            values[setting[..eq]] = setting[(eq + 1)..];
        }

        return values;
    }
}
