using System.Diagnostics;

namespace CvmfsImages.TestSupport.Auth;

/// <summary>Starts a <see cref="DistributionRegistry"/> with htpasswd Basic auth or with Bearer token auth.</summary>
public static class AuthenticatedRegistry
{
    /// <summary>A registry that accepts <paramref name="user"/>/<paramref name="password"/> (bcrypt htpasswd) by Basic auth.</summary>
    public static Task<DistributionRegistry> StartWithBasicAuthAsync(string user, string password, CancellationToken cancellationToken = default)
    {
        var htpasswd = RequiredTool.Require("htpasswd", "apache2-utils");
        const string Yaml = """
            auth:
              htpasswd:
                realm: test-realm
                path: {workdir}/htpasswd
            """;
        return DistributionRegistry.StartAsync(Yaml, dir =>
        {
            var psi = new ProcessStartInfo(htpasswd, ["-Bbn", user, password]) { RedirectStandardOutput = true, UseShellExecute = false };
            using var process = Process.Start(psi) ?? throw new InvalidOperationException("htpasswd did not start");
            var line = process.StandardOutput.ReadToEnd();
            process.WaitForExit();
            if (process.ExitCode != 0)
            {
                throw new InvalidOperationException($"htpasswd exited with {process.ExitCode}");
            }

            File.WriteAllText(Path.Combine(dir, "htpasswd"), line);
        }, cancellationToken: cancellationToken);
    }

    /// <summary>A registry in token mode (<c>auth.token</c>) trusting <paramref name="tokens"/>' certificate.</summary>
    public static Task<DistributionRegistry> StartWithTokenAuthAsync(TokenServer tokens, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        return DistributionRegistry.StartAsync(tokens.AuthYaml, tokens.WriteRootBundle, cancellationToken: cancellationToken);
    }
}
