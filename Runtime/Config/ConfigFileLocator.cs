using CvmfsImages.Runtime.Diagnostics;
using CvmfsImages.Runtime.Native;
using CvmfsImages.Runtime.Planning;

namespace CvmfsImages.Runtime.Config;

/// <summary>
/// Finds and loads the site's <c>singularity.conf</c>. The compiled-in path is <see cref="DefaultPath"/>;
/// <see cref="OverrideVariable"/> may name another file, and is honoured only when that file could have been written
/// by root alone: the file and every directory above it are owned by root and not writable by group or others
/// (a root-owned sticky directory such as /tmp is allowed, since nobody else can rename entries in it). A user can
/// therefore not loosen the site's policy by pointing the variable at a file of their own. Tests, which run as root
/// and drop to nobody, write their configs as root-owned files in 0755 directories. The compiled-in file must pass
/// the same check.
/// </summary>
internal static class ConfigFileLocator
{
    public const string DefaultPath = "/etc/cvmfs-images/singularity.conf";

    public const string OverrideVariable = "CVMFS_IMAGES_SINGULARITY_CONF";

    public static RuntimeConfig Load(IReadOnlyDictionary<string, string> environment, Messages messages)
    {
        ArgumentNullException.ThrowIfNull(environment);
        ArgumentNullException.ThrowIfNull(messages);
        var path = DefaultPath;
        if (environment.TryGetValue(OverrideVariable, out var requested) && requested.Length > 0)
        {
            var why = Untrusted(requested);
            if (why is null)
            {
                path = requested;
            }
            else
            {
                messages.Warning($"ignoring {OverrideVariable}={requested}: {why}; using {DefaultPath}");
            }
        }

        messages.Debug($"Parsing configuration file {path}");
        var problem = Untrusted(path);
        if (problem is not null)
        {
            throw new RuntimeFailureException($"configuration file {path}: {problem}") { Subject = path };
        }

        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new RuntimeFailureException($"configuration file {path}: {e.Message}", e) { Subject = path };
        }

        return ConfigParser.Parse(text, path, messages);
    }

    /// <summary>Null when <paramref name="path"/> is a root-owned file only root can have written; else the reason.</summary>
    public static string? Untrusted(string path)
    {
        if (!path.StartsWith('/'))
        {
            return "not an absolute path";
        }

        var real = PathRules.RealPath(path);
        if (real is null)
        {
            return FileStatus.Of(path).Exists ? "cannot be resolved" : "does not exist (install it with deploy/install-worker-node.sh)";
        }

        var status = FileStatus.Of(real);
        if (status.Kind != FileKind.Regular)
        {
            return $"{real} is not a regular file";
        }

        if (status.Uid != 0)
        {
            return $"{real} is not owned by root";
        }

        if (status.IsWritableByOthers)
        {
            return $"{real} is writable by group or others";
        }

        for (var dir = Path.GetDirectoryName(real); dir is not null; dir = Path.GetDirectoryName(dir))
        {
            var d = FileStatus.Of(dir);
            if (d.Uid != 0)
            {
                return $"directory {dir} is not owned by root";
            }

            if (d.IsWritableByOthers && !d.IsSticky)
            {
                return $"directory {dir} is writable by group or others";
            }
        }

        return null;
    }
}
