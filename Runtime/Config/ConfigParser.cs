using System.Globalization;
using CvmfsImages.Runtime.Cli;
using CvmfsImages.Runtime.Diagnostics;
using CvmfsImages.Runtime.Planning;

namespace CvmfsImages.Runtime.Config;

/// <summary>
/// Parses <c>singularity.conf</c>: <c>key = value</c> lines, <c>#</c> comments, blank lines. Keys are Singularity's
/// names. A bad value or a line that is not <c>key = value</c> is an error quoting the file, line number and line; an
/// unknown key is a warning; a key Singularity knows but this runtime does not use (loop devices, overlay, ...) is
/// accepted and noted at debug level, so a site's existing file works unchanged.
/// </summary>
internal static class ConfigParser
{
    private static readonly HashSet<string> IgnoredSingularityKeys = new(StringComparer.Ordinal)
    {
        "max loop devices", "mount hostfs", "enable fusemount", "enable overlay", "enable underlay",
        "mount slave", "limit container owners", "limit container groups", "allow container squashfs",
        "allow container extfs", "allow container encrypted", "allow container sif", "always use rocm",
        "memory fs type", "cni configuration path", "cni plugin path",
        "mksquashfs path", "mksquashfs procs", "mksquashfs mem", "unsquashfs path", "cryptsetup path", "go path",
        "ldconfig path", "shared loop devices", "image driver", "download concurrency", "download part size",
        "download buffer size", "systemd cgroups", "allow net users", "allow net groups", "allow net networks",
        "allow kernel squashfs", "allow kernel extfs", "allow user ns", "use setuid", "allow setuid-mount encrypted",
        "allow setuid-mount squashfs", "allow setuid-mount extfs", "sif fuse", "tmp sandbox", "enable suidwrap",
    };

    public static RuntimeConfig Parse(string text, string path, Messages messages)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(messages);
        var config = new RuntimeConfig { Path = path };
        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        var lines = text.Split('\n');
        for (var n = 0; n < lines.Length; n++)
        {
            var lineNumber = n + 1;
            var line = lines[n].TrimEnd('\r');
            var content = line.Trim();
            if (content.Length == 0 || content[0] == '#')
            {
                continue;
            }

            var eq = content.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0)
            {
                throw Bad(path, lineNumber, line, "expected 'key = value'");
            }

            var key = string.Join(' ', content[..eq].Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries));
            var value = content[(eq + 1)..].Trim();
            if (key != "bind path" && seen.TryGetValue(key, out var earlier))
            {
                messages.Warning($"{path}:{lineNumber}: '{key}' repeats line {earlier}; the later value is used");
            }

            seen[key] = lineNumber;
            Apply(config, key, value, path, lineNumber, line, messages);
        }

        return config;
    }

    private static void Apply(RuntimeConfig c, string key, string value, string path, int lineNumber, string line, Messages messages)
    {
        bool YesNo() => value.ToLowerInvariant() switch
        {
            "yes" => true,
            "no" => false,
            _ => throw Bad(path, lineNumber, line, $"'{key}' must be yes or no, not '{value}'"),
        };

        switch (key)
        {
            case "allow pid ns": c.AllowPidNs = YesNo(); break;
            case "allow ipc ns": c.AllowIpcNs = YesNo(); break;
            case "config passwd": c.ConfigPasswd = YesNo(); break;
            case "config group": c.ConfigGroup = YesNo(); break;
            case "config resolv_conf": c.ConfigResolvConf = YesNo(); break;
            case "mount proc": c.MountProc = YesNo(); break;
            case "mount sys": c.MountSys = YesNo(); break;
            case "mount devpts": c.MountDevPts = YesNo(); break;
            case "mount home": c.MountHome = YesNo(); break;
            case "mount tmp": c.MountTmp = YesNo(); break;
            case "user bind control": c.UserBindControl = YesNo(); break;
            case "allow container dir": c.AllowContainerDir = YesNo(); break;
            case "always use nv": c.AlwaysUseNv = YesNo(); break;
            case "mount dev":
                c.MountDev = value.ToLowerInvariant() switch
                {
                    "yes" => DevMode.Yes,
                    "no" => DevMode.No,
                    "minimal" => DevMode.Minimal,
                    _ => throw Bad(path, lineNumber, line, $"'mount dev' must be yes, no or minimal, not '{value}'"),
                };
                break;
            case "sessiondir max size":
                if (!long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var size) || size <= 0 || size > 1024 * 1024)
                {
                    throw Bad(path, lineNumber, line, $"'sessiondir max size' must be a whole number of MiB between 1 and 1048576, not '{value}'");
                }

                c.SessionDirMaxSizeMiB = size;
                break;
            case "bind path":
                IReadOnlyList<BindSpec> specs;
                try
                {
                    specs = BindSpec.ParseList(value, "bind path", allowOptions: true, requireAbsoluteSource: true);
                }
                catch (RuntimeFailureException e)
                {
                    throw Bad(path, lineNumber, line, e.Message);
                }

                if (specs.Count == 0)
                {
                    throw Bad(path, lineNumber, line, "'bind path' needs a path");
                }

                c.BindPaths.AddRange(specs);
                break;
            case "allow unowned home": c.AllowUnownedHome = YesNo(); break;
            case "allow setuid": c.AllowSetuid = YesNo(); break;
            case "trace syslog": c.TraceSyslog = YesNo(); break;
            case "root default capabilities":
                switch (value.ToLowerInvariant())
                {
                    case "full":
                        c.RootKeepsCapabilities = true;
                        break;
                    case "no":
                        c.RootKeepsCapabilities = false;
                        break;
                    case "file":
                        // Apptainer's per-user capability file (`apptainer capability add`) does not exist here.
                        messages.Warning($"{path}:{lineNumber}: 'root default capabilities = file' is not supported (there is no capability file); using 'no'");
                        c.RootKeepsCapabilities = false;
                        break;
                    default:
                        throw Bad(path, lineNumber, line, $"'root default capabilities' must be full, file or no, not '{value}'");
                }

                break;
            case "trace facility":
                c.TraceFacility = Trace.SyslogFacility.Parse(value)
                    ?? throw Bad(path, lineNumber, line, $"'trace facility' must be one of {Trace.SyslogFacility.Names}, not '{value}'");
                break;
            case "trace socket":
                if (!value.StartsWith('/') || value.Contains('\0', StringComparison.Ordinal) || System.Text.Encoding.UTF8.GetByteCount(value) > 107)
                {
                    throw Bad(path, lineNumber, line, $"'trace socket' must be an absolute path of at most 107 bytes, not '{value}'");
                }

                c.TraceSocket = value;
                break;
            case "trace environment":
                c.TraceEnvironment.Clear();
                foreach (var item in value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
                {
                    var name = item.EndsWith('*') ? item[..^1] : item;
                    if (item == "NULL")
                    {
                        continue;
                    }

                    if (name.Length == 0 || !Environment.EnvironmentBuilder.IsValidName(name))
                    {
                        throw Bad(path, lineNumber, line, $"'trace environment' entry '{item}' is not a variable name or a prefix ending in *");
                    }

                    c.TraceEnvironment.Add(item);
                }

                break;
            case "limit container paths":
                c.LimitContainerPaths.Clear();
                foreach (var item in value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
                {
                    if (item == "NULL")
                    {
                        continue;
                    }

                    if (!item.StartsWith('/'))
                    {
                        throw Bad(path, lineNumber, line, $"'limit container paths' entry '{item}' is not an absolute path");
                    }

                    c.LimitContainerPaths.Add(PathRules.Normalize(item));
                }

                break;
            default:
                if (IgnoredSingularityKeys.Contains(key))
                {
                    messages.Debug($"{path}:{lineNumber}: '{key}' does not apply to this runtime; ignored");
                }
                else
                {
                    messages.Warning($"{path}:{lineNumber}: unknown configuration key '{key}'; ignored");
                }

                break;
        }
    }

    private static RuntimeFailureException Bad(string path, int lineNumber, string line, string why) =>
        new($"{path}:{lineNumber}: {why}: '{line.Trim()}'") { Subject = $"{path}:{lineNumber}" };
}
