using System.Text;
using System.Text.Json;

namespace CvmfsImages.Publisher.Flattening;

/// <summary>
/// Lays out <c>/.singularity.d</c> as Singularity/Apptainer do for a sandbox built from a Docker/OCI image
/// (<c>env/10-docker2singularity.sh</c> from Env, <c>runscript</c> from Entrypoint and Cmd, <c>labels.json</c>,
/// <c>actions/*</c>, the base env scripts, the <c>/singularity</c>, <c>/environment</c> and <c>/.exec</c>-style
/// links) and creates the mount points a runtime binds onto. Everything goes through the <see cref="TreeWriter"/>,
/// so an image's own symlinks cannot redirect it outside the tree.
/// </summary>
internal static class SingularityMetadata
{
    /// <summary>Directories a runtime mounts over; created (0755, /tmp and /var/tmp 1777) when the image lacks them.</summary>
    public static readonly IReadOnlyList<string> MountDirectories = ["/cvmfs", "/srv", "/dev", "/proc", "/sys", "/tmp", "/var/tmp", "/home"];

    /// <summary>Files a runtime binds over; created empty (0644) when the image lacks them.</summary>
    public static readonly IReadOnlyList<string> MountFiles = ["/etc/hosts", "/etc/resolv.conf", "/etc/passwd", "/etc/group"];

    private const uint Executable = 0x1ED; // 0755
    private const uint Readable = 0x1A4;   // 0644
    private const uint WorldTmp = 0x3FF;   // 1777

    public static void Write(TreeWriter tree, ImageConfig config, IReadOnlyList<string> extraMountPoints, FlattenCounters counters)
    {
        tree.BeginLayer();
        tree.BeginEntry();
        var root = tree.ResolveDirectory([], 0, create: false, out _);
        tree.MakeDirectory(root, ".singularity.d", ".singularity.d", Executable, TreeWriter.FixedMtime, 0);
        var meta = tree.ResolveDirectory([".singularity.d"], 1, create: false, out _);
        foreach (var sub in new[] { "actions", "env", "libs" })
        {
            tree.MakeDirectory(meta, sub, ".singularity.d/" + sub, Executable, TreeWriter.FixedMtime, 0);
        }

        var actions = tree.ResolveDirectory([".singularity.d", "actions"], 2, create: false, out _);
        var env = tree.ResolveDirectory([".singularity.d", "env"], 2, create: false, out _);
        WriteFile(tree, actions, ".singularity.d/actions", "exec", SingularityScripts.Exec, Executable, counters);
        WriteFile(tree, actions, ".singularity.d/actions", "run", SingularityScripts.Run, Executable, counters);
        WriteFile(tree, actions, ".singularity.d/actions", "shell", SingularityScripts.Shell, Executable, counters);
        WriteFile(tree, actions, ".singularity.d/actions", "start", SingularityScripts.Start, Executable, counters);
        WriteFile(tree, actions, ".singularity.d/actions", "test", SingularityScripts.Test, Executable, counters);
        WriteFile(tree, env, ".singularity.d/env", "01-base.sh", SingularityScripts.Base01, Executable, counters);
        WriteFile(tree, env, ".singularity.d/env", "10-docker2singularity.sh", EnvScript(config.Env), Executable, counters);
        WriteFile(tree, env, ".singularity.d/env", "90-environment.sh", SingularityScripts.Environment90, Executable, counters);
        WriteFile(tree, env, ".singularity.d/env", "95-apps.sh", SingularityScripts.Apps95, Executable, counters);
        WriteFile(tree, env, ".singularity.d/env", "99-base.sh", SingularityScripts.Base99, Executable, counters);
        WriteFile(tree, env, ".singularity.d/env", "99-runtimevars.sh", SingularityScripts.RuntimeVars99, Executable, counters);
        WriteFile(tree, meta, ".singularity.d", "runscript", Runscript(config.Entrypoint, config.Cmd), Executable, counters);
        WriteFile(tree, meta, ".singularity.d", "startscript", SingularityScripts.Startscript, Executable, counters);
        WriteFile(tree, meta, ".singularity.d", "labels.json", LabelsJson(config.Labels), Readable, counters);

        // Top-level links, each only when the image has nothing of that name (as Singularity does).
        LinkIfMissing(tree, root, "singularity", ".singularity.d/runscript", counters);
        LinkIfMissing(tree, root, "environment", ".singularity.d/env/90-environment.sh", counters);
        LinkIfMissing(tree, root, ".exec", ".singularity.d/actions/exec", counters);
        LinkIfMissing(tree, root, ".run", ".singularity.d/actions/run", counters);
        LinkIfMissing(tree, root, ".shell", ".singularity.d/actions/shell", counters);
        LinkIfMissing(tree, root, ".test", ".singularity.d/actions/test", counters);

        foreach (var dir in MountDirectories.Concat(extraMountPoints))
        {
            DirectoryIfMissing(tree, dir, dir is "/tmp" or "/var/tmp" ? WorldTmp : Executable);
        }

        if (config.WorkingDir is { } workingDir && workingDir.StartsWith('/'))
        {
            // An absolute path: '..' at the root stays at the root, as the runtime's chdir sees it.
            DirectoryIfMissing(tree, ClampAtRoot(workingDir), Executable, $"the WorkingDir '{workingDir}'");
        }

        foreach (var file in MountFiles)
        {
            var parts = EntryPath.Clean(file);
            tree.BeginEntry();
            var dir = Resolve(tree, parts, $"the mount point '{file}'", out var parent);
            if (!TreeWriter.Exists(dir, parts[^1]))
            {
                WriteFile(tree, dir, parent, parts[^1], string.Empty, Readable, counters);
            }
        }
    }

    /// <summary>An absolute path with <c>.</c> and <c>..</c> resolved lexically, <c>..</c> of the root being the root.</summary>
    public static string ClampAtRoot(string path)
    {
        var parts = new List<string>();
        foreach (var part in path.Split('/'))
        {
            if (part == "..")
            {
                if (parts.Count > 0)
                {
                    parts.RemoveAt(parts.Count - 1);
                }
            }
            else if (part is not ("" or "."))
            {
                parts.Add(part);
            }
        }

        return "/" + string.Join('/', parts);
    }

    private static int Resolve(TreeWriter tree, List<string> parts, string what, out string parent)
    {
        try
        {
            return tree.ResolveDirectory(parts, parts.Count - 1, create: true, out parent);
        }
        catch (EntryRefusedException ex)
        {
            throw new EntryRefusedException($"{what}: {ex.Message}", ex);
        }
    }

    /// <summary>
    /// <c>10-docker2singularity.sh</c>: each Env entry exported as Singularity does: PATH set outright, every other
    /// variable only when the environment does not already hold a non-empty value (<c>"${NAME:-value}"</c>).
    /// Values are escaped so spaces, quotes, <c>$</c>, backslashes, <c>}</c> and <c>=</c> survive exactly; entries
    /// whose name is not a shell name cannot be exported and are left out.
    /// </summary>
    public static string EnvScript(IReadOnlyList<string> env)
    {
        var sb = new StringBuilder("#!/bin/sh\n");
        foreach (var item in env)
        {
            var eq = item.IndexOf('=', StringComparison.Ordinal);
            var name = eq < 0 ? item : item[..eq];
            if (!ShellQuoting.IsName(name))
            {
                continue;
            }

            if (eq < 0)
            {
                sb.Append("export ").Append(name).Append("=\"${").Append(name).Append(":-}\"\n");
            }
            else if (name == "PATH")
            {
                sb.Append("export PATH=\"").Append(ShellQuoting.DoubleBody(item[(eq + 1)..])).Append("\"\n");
            }
            else
            {
                sb.Append("export ").Append(name).Append("=\"${").Append(name).Append(":-")
                  .Append(ShellQuoting.DoubleBody(item[(eq + 1)..])).Append("}\"\n");
            }
        }

        return sb.ToString();
    }

    /// <summary>
    /// The runscript, with Singularity's semantics: arguments to <c>run</c> replace CMD and follow ENTRYPOINT;
    /// without arguments ENTRYPOINT is followed by CMD. By default the command line is evaluated by the shell as
    /// Singularity does (so <c>$VAR</c> in arguments expands); with <c>SINGULARITY_NO_EVAL</c> or
    /// <c>APPTAINER_NO_EVAL</c> set it is executed exactly as given.
    /// </summary>
    public static string Runscript(IReadOnlyList<string> entrypoint, IReadOnlyList<string> cmd)
    {
        var sb = new StringBuilder("#!/bin/sh\n");
        sb.Append("OCI_ENTRYPOINT=").Append(ShellQuoting.Single(ShellQuoting.Words(entrypoint))).Append('\n');
        sb.Append("OCI_CMD=").Append(ShellQuoting.Single(ShellQuoting.Words(cmd))).Append('\n');
        sb.Append("""

            if [ -n "${SINGULARITY_NO_EVAL:-}${APPTAINER_NO_EVAL:-}" ]; then
                # OCI behaviour: nothing is evaluated through the shell.
                if [ $# -eq 0 ]; then
                    eval "set -- ${OCI_CMD}"
                fi
                eval "set -- ${OCI_ENTRYPOINT} \"\$@\""
            else
                # Singularity behaviour: the arguments are evaluated through the shell.
                CMDLINE_ARGS=""
                for arg in "$@"; do
                    CMDLINE_ARGS="${CMDLINE_ARGS} \"$arg\""
                done
                if [ $# -gt 0 ]; then
                    SINGULARITY_OCI_RUN="${OCI_ENTRYPOINT} ${CMDLINE_ARGS}"
                else
                    SINGULARITY_OCI_RUN="${OCI_ENTRYPOINT} ${OCI_CMD}"
                fi
                eval "set -- ${SINGULARITY_OCI_RUN}"
            fi
            if [ $# -eq 0 ]; then
                echo "The image has no ENTRYPOINT or CMD: give the command to run." >&2
                exit 1
            fi
            exec "$@"

            """);
        return sb.ToString();
    }

    /// <summary><c>labels.json</c>: the config's labels, keys sorted, tab-indented (as Singularity writes it).</summary>
    public static string LabelsJson(IReadOnlyDictionary<string, string> labels)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true, IndentCharacter = '\t', IndentSize = 1 }))
        {
            json.WriteStartObject();
            foreach (var (key, value) in labels.OrderBy(l => l.Key, StringComparer.Ordinal))
            {
                json.WriteString(key, value);
            }

            json.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    private static void WriteFile(TreeWriter tree, int dir, string parent, string name, string content, uint mode, FlattenCounters counters)
    {
        var physical = EntryPath.Join(parent, name);
        using var file = tree.CreateFile(dir, name, physical, mode);
        var bytes = Encoding.UTF8.GetBytes(content);
        file.Write(bytes, 0);
        file.SetTimes(TreeWriter.FixedMtime, 0);
        counters.Files++;
        counters.Bytes += bytes.Length;
    }

    private static void LinkIfMissing(TreeWriter tree, int root, string name, string target, FlattenCounters counters)
    {
        if (!TreeWriter.Exists(root, name))
        {
            tree.MakeSymlink(root, name, name, target, TreeWriter.FixedMtime, 0);
            counters.Symlinks++;
        }
    }

    private static void DirectoryIfMissing(TreeWriter tree, string path, uint mode, string? what = null)
    {
        var parts = EntryPath.Clean(path);
        if (parts.Count == 0)
        {
            return;
        }

        tree.BeginEntry();
        var dir = Resolve(tree, parts, what ?? $"the mount point '{path}'", out var parent);
        if (!TreeWriter.Exists(dir, parts[^1]))
        {
            tree.MakeDirectory(dir, parts[^1], EntryPath.Join(parent, parts[^1]), mode, TreeWriter.FixedMtime, 0);
        }
    }
}
