using CvmfsImages.Runtime.Diagnostics;

namespace CvmfsImages.Runtime.Environment;

/// <summary>
/// Decides the container's environment with Apptainer's rules and precedence:
/// <c>--env</c> &gt; <c>--env-file</c> &gt; <c>APPTAINERENV_X</c> &gt; <c>SINGULARITYENV_X</c> &gt; the image's env scripts
/// &gt; the host. Host variables pass through unless <c>--cleanenv</c>, except the runtime's own
/// (<c>SINGULARITY_*</c>, <c>APPTAINER_*</c> and the <c>*ENV_</c> prefixes), <c>HOME</c>, <c>PATH</c> and
/// <c>LD_LIBRARY_PATH</c>; with <c>--cleanenv</c> only TERM and the proxy variables pass, and LANG=C is set.
/// <c>PATH</c> starts as Singularity's default; <c>X_PATH</c>, <c>X_PREPEND_PATH</c>, <c>X_APPEND_PATH</c> change it
/// after the image's scripts; <c>HOME</c> cannot be overridden (use <c>--home</c>).
/// </summary>
internal static class EnvironmentBuilder
{
    public const string DefaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

    private static readonly HashSet<string> AlwaysPass = new(StringComparer.Ordinal)
    {
        "TERM", "http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "no_proxy", "NO_PROXY", "all_proxy",
        "ALL_PROXY", "ftp_proxy", "FTP_PROXY",
    };

    private static readonly HashSet<string> NeverPass = new(StringComparer.Ordinal) { "HOME", "PATH", "LD_LIBRARY_PATH" };

    private static readonly HashSet<string> NotOverridable = new(StringComparer.Ordinal) { "HOME", "SINGULARITY_SHELL", "SINGULARITY_APPNAME" };

    /// <param name="host">the caller's environment.</param>
    /// <param name="cleanEnv">--cleanenv.</param>
    /// <param name="homeDestination">HOME inside the container.</param>
    /// <param name="userName">USER inside when the host passes none (<c>env -i</c>, <c>--cleanenv</c>).</param>
    /// <param name="runtimeVariables">SINGULARITY_CONTAINER and friends, set after passthrough.</param>
    /// <param name="envFiles">(name, content) of each --env-file, in order.</param>
    /// <param name="envOptions">the raw --env values, in order.</param>
    /// <param name="messages">where warnings go.</param>
    public static ContainerEnvironment Build(
        IReadOnlyDictionary<string, string> host,
        bool cleanEnv,
        string homeDestination,
        string userName,
        IReadOnlyList<KeyValuePair<string, string>> runtimeVariables,
        IReadOnlyList<(string Name, string Content)> envFiles,
        IReadOnlyList<string> envOptions,
        Messages messages)
    {
        ArgumentNullException.ThrowIfNull(host);
        ArgumentNullException.ThrowIfNull(runtimeVariables);
        ArgumentNullException.ThrowIfNull(envFiles);
        ArgumentNullException.ThrowIfNull(envOptions);
        ArgumentNullException.ThrowIfNull(messages);

        // User-defined variables, lowest precedence first; a later source replaces an earlier one's value.
        var user = new Dictionary<string, (string Value, string Origin)>(StringComparer.Ordinal);
        var order = new List<string>();
        void Define(string name, string value, string origin)
        {
            if (!IsValidName(name))
            {
                messages.Warning($"{origin}: '{name}' is not a valid variable name; ignored");
                return;
            }

            if (NotOverridable.Contains(name))
            {
                messages.Warning($"{origin}: overriding {name} is not permitted{(name == "HOME" ? " (use --home)" : string.Empty)}; ignored");
                return;
            }

            if (!user.ContainsKey(name))
            {
                order.Add(name);
            }

            user[name] = (value, origin);
        }

        var sortedHost = host.OrderBy(kv => kv.Key, StringComparer.Ordinal).ToList();
        foreach (var prefix in new[] { "SINGULARITYENV_", "APPTAINERENV_" })
        {
            foreach (var (key, value) in sortedHost)
            {
                if (key.StartsWith(prefix, StringComparison.Ordinal) && key.Length > prefix.Length)
                {
                    Define(key[prefix.Length..], value, key);
                }
            }
        }

        foreach (var (name, content) in envFiles)
        {
            foreach (var (key, value, line) in EnvFileParser.Parse(content, name))
            {
                Define(key, value, $"{name}:{line}");
            }
        }

        foreach (var option in envOptions)
        {
            foreach (var (key, value) in ParseEnvOption(option))
            {
                Define(key, value, "--env");
            }
        }

        var initial = new List<KeyValuePair<string, string>>();
        if (cleanEnv)
        {
            initial.Add(new("LANG", "C"));
        }

        foreach (var (key, value) in sortedHost)
        {
            if (!IsPassedThrough(key, cleanEnv) || user.ContainsKey(key))
            {
                continue;
            }

            initial.Add(new(key, value));
        }

        if (!initial.Exists(e => e.Key == "USER") && !user.ContainsKey("USER"))
        {
            initial.Add(new("USER", userName));
        }

        initial.Add(new("HOME", homeDestination));
        initial.Add(new("PATH", DefaultPath));
        foreach (var kv in runtimeVariables)
        {
            initial.RemoveAll(e => e.Key == kv.Key);
            initial.Add(kv);
        }

        string? Take(string name)
        {
            if (!user.Remove(name, out var v))
            {
                return null;
            }

            order.Remove(name);
            return v.Value;
        }

        var pathOverride = Take("PATH");
        var prepend = Take("PREPEND_PATH");
        var append = Take("APPEND_PATH");
        var userDefined = order.Select(n => new KeyValuePair<string, string>(n, user[n].Value)).ToList();
        return new ContainerEnvironment(initial, userDefined, pathOverride, prepend, append);
    }

    /// <summary>
    /// The final environment when no shell runs the image's env scripts (an image without /bin/sh): initial, then
    /// user-defined, then the PATH requests, then <c>/.singularity.d/libs</c> appended to LD_LIBRARY_PATH.
    /// </summary>
    public static List<KeyValuePair<string, string>> Flatten(ContainerEnvironment environment)
    {
        ArgumentNullException.ThrowIfNull(environment);
        var result = new List<KeyValuePair<string, string>>(environment.Initial);
        foreach (var kv in environment.UserDefined)
        {
            result.RemoveAll(e => e.Key == kv.Key);
            result.Add(kv);
        }

        var path = result.FirstOrDefault(e => e.Key == "PATH").Value ?? DefaultPath;
        if (environment.PrependPath is { Length: > 0 } p)
        {
            path = p + ":" + path;
        }

        if (environment.AppendPath is { Length: > 0 } a)
        {
            path = path + ":" + a;
        }

        if (environment.PathOverride is { Length: > 0 } o)
        {
            path = o;
        }

        result.RemoveAll(e => e.Key == "PATH");
        result.Add(new("PATH", path));
        var ld = result.FirstOrDefault(e => e.Key == "LD_LIBRARY_PATH").Value;
        result.RemoveAll(e => e.Key == "LD_LIBRARY_PATH");
        result.Add(new("LD_LIBRARY_PATH", AppendLibs(ld)));
        return result;
    }

    /// <summary>LD_LIBRARY_PATH with <c>/.singularity.d/libs</c> appended, unless it is already one of its entries.</summary>
    public static string AppendLibs(string? ldLibraryPath)
    {
        const string Libs = "/.singularity.d/libs";
        if (string.IsNullOrEmpty(ldLibraryPath))
        {
            return Libs;
        }

        return ldLibraryPath.Split(':').Contains(Libs) ? ldLibraryPath : ldLibraryPath + ":" + Libs;
    }

    public static bool IsValidName(string name) =>
        name.Length > 0 && (char.IsAsciiLetter(name[0]) || name[0] == '_') && name.All(c => char.IsAsciiLetterOrDigit(c) || c == '_');

    private static bool IsPassedThrough(string key, bool cleanEnv)
    {
        if (AlwaysPass.Contains(key))
        {
            return true;
        }

        if (cleanEnv || NeverPass.Contains(key) || key.Contains('=', StringComparison.Ordinal))
        {
            return false;
        }

        return !key.StartsWith("SINGULARITY", StringComparison.Ordinal)
            && !key.StartsWith("APPTAINER", StringComparison.Ordinal)
            && !key.StartsWith(ShellWrapper.ForcePrefix, StringComparison.Ordinal)
            && !key.StartsWith("SING_USER_DEFINED_", StringComparison.Ordinal);
    }

    /// <summary>
    /// One <c>--env</c> value: <c>K=V</c>, or several separated by commas (<c>A=1,B=2</c>) as Apptainer accepts; a piece
    /// without <c>=</c> continues the previous value (<c>A=1,2</c> sets A to "1,2").
    /// </summary>
    public static List<KeyValuePair<string, string>> ParseEnvOption(string option)
    {
        ArgumentNullException.ThrowIfNull(option);
        var result = new List<KeyValuePair<string, string>>();
        foreach (var piece in option.Split(','))
        {
            var eq = piece.IndexOf('=', StringComparison.Ordinal);
            if (eq > 0 && IsValidName(piece[..eq]))
            {
                result.Add(new(piece[..eq], piece[(eq + 1)..]));
            }
            else if (result.Count > 0)
            {
                var last = result[^1];
                result[^1] = new(last.Key, last.Value + "," + piece);
            }
            else
            {
                throw new RuntimeFailureException($"--env '{option}': expected NAME=VALUE with NAME a valid variable name") { Subject = option };
            }
        }

        return result;
    }
}
