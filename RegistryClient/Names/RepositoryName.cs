namespace CvmfsImages.Registry.Names;

/// <summary>
/// A repository: the registry host (with port) and the path inside it, normalised as Docker does. The rules are
/// written down once, here and in <see cref="ImageReference"/>:
/// <list type="bullet">
/// <item>The first path component is a registry when it contains <c>.</c> or <c>:</c>, is <c>localhost</c>, or has an
/// upper-case letter; otherwise the registry is Docker Hub, <c>docker.io</c>.</item>
/// <item><c>index.docker.io</c> and <c>registry-1.docker.io</c> are spelled <c>docker.io</c>.</item>
/// <item>On Docker Hub a one-component path gets <c>library/</c>: <c>python</c> is <c>docker.io/library/python</c>.</item>
/// <item>Path components are lower-case alphanumerics joined by <c>.</c>, <c>_</c>, <c>__</c> or runs of <c>-</c>;
/// the whole name (registry, slash, path) is at most 255 characters.</item>
/// </list>
/// Parsing does no I/O.
/// </summary>
public sealed record RepositoryName
{
    /// <summary>Docker Hub's canonical registry name.</summary>
    public const string DockerHub = "docker.io";

    /// <summary>The longest name (registry + '/' + path) the distribution grammar allows.</summary>
    public const int MaxNameLength = 255;

    internal RepositoryName(string registry, string path)
    {
        Registry = registry;
        Path = path;
    }

    /// <summary>The registry, <c>host[:port]</c>, e.g. <c>docker.io</c>, <c>ghcr.io</c>, <c>127.0.0.1:5000</c>.</summary>
    public string Registry { get; }

    /// <summary>The repository path inside the registry, e.g. <c>library/python</c>.</summary>
    public string Path { get; }

    /// <summary>True for Docker Hub.</summary>
    public bool IsDockerHub => Registry == DockerHub;

    /// <summary>Parses a repository name without tag or digest (<c>python</c>, <c>ghcr.io/org/tool</c>).</summary>
    /// <exception cref="ReferenceFormatException">The name breaks the grammar; the message says how.</exception>
    public static RepositoryName Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return TryParse(text, out var name, out var reason) ? name : throw new ReferenceFormatException(text, reason);
    }

    /// <summary>Parses a repository name; on failure <paramref name="reason"/> says what is wrong.</summary>
    public static bool TryParse(string? text, out RepositoryName name, out string reason)
    {
        name = null!;
        if (string.IsNullOrEmpty(text))
        {
            reason = "repository name is empty";
            return false;
        }

        string registry;
        string path;
        var slash = text.IndexOf('/', StringComparison.Ordinal);
        if (slash < 0 || !LooksLikeRegistry(text.AsSpan(0, slash)))
        {
            registry = DockerHub;
            path = text;
        }
        else
        {
            registry = text[..slash];
            path = text[(slash + 1)..];
            if (!ValidateRegistry(registry, out reason))
            {
                return false;
            }

            if (registry is "index.docker.io" or "registry-1.docker.io")
            {
                registry = DockerHub;
            }
        }

        if (!ValidatePath(path, out reason))
        {
            return false;
        }

        if (registry == DockerHub && !path.Contains('/', StringComparison.Ordinal))
        {
            path = "library/" + path;
        }

        if (registry.Length + 1 + path.Length > MaxNameLength)
        {
            reason = $"repository name is longer than {MaxNameLength} characters";
            return false;
        }

        name = new RepositoryName(registry, path);
        reason = string.Empty;
        return true;
    }

    /// <summary>The short form people type: <c>python</c>, <c>opensciencegrid/osgvo-el9</c>, <c>ghcr.io/org/tool</c>.</summary>
    public string ToFamiliarString()
    {
        if (!IsDockerHub)
        {
            return ToString();
        }

        return Path.StartsWith("library/", StringComparison.Ordinal) && Path.IndexOf('/', 8) < 0 ? Path[8..] : Path;
    }

    /// <summary>The full form: <c>registry/path</c>.</summary>
    public override string ToString() => $"{Registry}/{Path}";

    private static bool LooksLikeRegistry(ReadOnlySpan<char> first) =>
        first.ContainsAny('.', ':') || first.SequenceEqual("localhost") || first.ContainsAnyInRange('A', 'Z');

    // host[:port], host a DNS name (components [A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?) or an [IPv6] literal.
    private static bool ValidateRegistry(string registry, out string reason)
    {
        var host = registry;
        var portStart = registry.StartsWith('[') ? registry.IndexOf("]:", StringComparison.Ordinal) + 1 : registry.LastIndexOf(':');
        if (portStart > 0)
        {
            var port = registry[(portStart + 1)..];
            host = registry[..portStart];
            if (port.Length is 0 or > 5 || !port.All(char.IsAsciiDigit) || int.Parse(port, System.Globalization.CultureInfo.InvariantCulture) is 0 or > 65535)
            {
                reason = $"registry '{Digest.Truncate(registry)}' has an invalid port";
                return false;
            }
        }

        if (host.StartsWith('[') && host.EndsWith(']'))
        {
            var inner = host[1..^1];
            if (inner.Length > 0 && inner.All(c => char.IsAsciiHexDigit(c) || c is ':' or '.') && System.Net.IPAddress.TryParse(inner, out _))
            {
                reason = string.Empty;
                return true;
            }

            reason = $"registry '{Digest.Truncate(registry)}' is not a valid IPv6 literal";
            return false;
        }

        if (host.Length == 0)
        {
            reason = "registry host is empty";
            return false;
        }

        foreach (var component in host.Split('.'))
        {
            if (component.Length == 0 || component.Length > 63
                || !char.IsAsciiLetterOrDigit(component[0]) || !char.IsAsciiLetterOrDigit(component[^1])
                || !component.All(c => char.IsAsciiLetterOrDigit(c) || c == '-'))
            {
                reason = $"registry host '{Digest.Truncate(host)}' is not a valid host name";
                return false;
            }
        }

        reason = string.Empty;
        return true;
    }

    // path-component := [a-z0-9]+ ((\.|_|__|-+) [a-z0-9]+)* ; path := path-component ('/' path-component)*
    private static bool ValidatePath(string path, out string reason)
    {
        if (path.Length == 0)
        {
            reason = "repository path is empty";
            return false;
        }

        foreach (var component in path.Split('/'))
        {
            if (component.Length == 0)
            {
                reason = "repository path has an empty component (a leading, trailing or doubled '/')";
                return false;
            }

            if (component.Any(char.IsAsciiLetterUpper))
            {
                reason = $"repository path component '{Digest.Truncate(component)}' must be lower case";
                return false;
            }

            if (!IsPathComponent(component))
            {
                reason = $"repository path component '{Digest.Truncate(component)}' may hold only a-z, 0-9 and single separators ('.', '_', '__' or '-') between them";
                return false;
            }
        }

        reason = string.Empty;
        return true;
    }

    private static bool IsPathComponent(string component)
    {
        var i = 0;
        while (true)
        {
            var start = i;
            while (i < component.Length && (char.IsAsciiLetterLower(component[i]) || char.IsAsciiDigit(component[i])))
            {
                i++;
            }

            if (i == start)
            {
                return false; // an alphanumeric run must start the component and follow every separator
            }

            if (i == component.Length)
            {
                return true;
            }

            var separatorStart = i;
            while (i < component.Length && component[i] is '.' or '_' or '-')
            {
                i++;
            }

            var separator = component.AsSpan(separatorStart, i - separatorStart);
            var valid = separator is "." or "_" or "__" || (separator.Length > 0 && !separator.ContainsAnyExcept('-'));
            if (!valid)
            {
                return false;
            }
        }
    }
}
