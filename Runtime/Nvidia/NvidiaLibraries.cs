using System.Diagnostics;
using CvmfsImages.Runtime.Planning;

namespace CvmfsImages.Runtime.Nvidia;

/// <summary>
/// Finds the host's NVIDIA driver files for <c>--nv</c>, as Singularity does: every library that <c>ldconfig -p</c>
/// lists for this architecture whose name starts with an entry of <c>nvliblist.conf</c> (first hit per name wins, in
/// ldconfig's order), the list's tools (entries without <c>.so</c>) from the host's bin directories, and
/// <c>/dev/nvidia*</c>. Only the host's /dev and ldconfig's cache are read; the image is not looked at.
/// </summary>
internal static class NvidiaLibraries
{
    public const string ListFileName = "nvliblist.conf";

    private static readonly string[] LdconfigPaths = ["/sbin/ldconfig", "/usr/sbin/ldconfig"];

    private static readonly string[] BinDirectories = ["/usr/bin", "/usr/sbin", "/bin", "/sbin", "/usr/local/bin"];

    /// <summary>Parses the list: one name per line, <c>#</c> comments.</summary>
    public static List<string> ParseList(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return [.. text.Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0 && l[0] != '#')];
    }

    /// <summary>Matches <c>ldconfig -p</c> output against the list's library entries: (soname, host path) pairs.</summary>
    public static List<KeyValuePair<string, string>> MatchLibraries(IReadOnlyList<string> list, string ldconfigOutput, bool is64Bit = true)
    {
        ArgumentNullException.ThrowIfNull(list);
        ArgumentNullException.ThrowIfNull(ldconfigOutput);
        var prefixes = list.Where(e => e.Contains(".so", StringComparison.Ordinal)).ToList();
        var result = new List<KeyValuePair<string, string>>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var raw in ldconfigOutput.Split('\n'))
        {
            // "\tlibcuda.so.1 (libc6,x86-64) => /usr/lib/x86_64-linux-gnu/libcuda.so.1"
            var line = raw.Trim();
            var arrow = line.IndexOf(" => ", StringComparison.Ordinal);
            var paren = line.IndexOf(" (", StringComparison.Ordinal);
            if (arrow < 0 || paren < 0 || paren > arrow)
            {
                continue;
            }

            var name = line[..paren];
            var flags = line[(paren + 2)..arrow];
            var path = line[(arrow + 4)..];
            var entryIs64 = flags.Contains("64", StringComparison.Ordinal);
            if (entryIs64 != is64Bit || !path.StartsWith('/') || name.Contains('/', StringComparison.Ordinal))
            {
                continue;
            }

            if (prefixes.Any(p => name.StartsWith(p, StringComparison.Ordinal)) && seen.Add(name))
            {
                result.Add(new(name, path));
            }
        }

        return result;
    }

    /// <summary>The real probe: ldconfig -p, the host's bin directories and /dev.</summary>
    public static NvidiaFiles Probe(string listText)
    {
        var list = ParseList(listText);
        var libraries = MatchLibraries(list, RunLdconfig(), System.Environment.Is64BitProcess);
        var binaries = new List<KeyValuePair<string, string>>();
        foreach (var tool in list.Where(e => !e.Contains(".so", StringComparison.Ordinal) && !e.Contains('/', StringComparison.Ordinal)))
        {
            var found = BinDirectories.Select(d => Path.Combine(d, tool)).FirstOrDefault(File.Exists);
            if (found is not null)
            {
                binaries.Add(new(tool, found));
            }
        }

        var devices = new List<string>();
        try
        {
            devices.AddRange(Directory.EnumerateFileSystemEntries("/dev", "nvidia*").Order(StringComparer.Ordinal));
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }

        return new NvidiaFiles(libraries, binaries, devices);
    }

    private static string RunLdconfig()
    {
        var ldconfig = LdconfigPaths.FirstOrDefault(File.Exists);
        if (ldconfig is null)
        {
            return string.Empty;
        }

        var start = new ProcessStartInfo(ldconfig, "-p")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        // ldconfig runs with a known environment, not the caller's (LD_PRELOAD and friends stay out).
        start.Environment.Clear();
        start.Environment["PATH"] = EnvironmentBuilderPath;
        using var process = Process.Start(start);
        if (process is null)
        {
            return string.Empty;
        }

        var output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return output;
    }

    private const string EnvironmentBuilderPath = "/usr/sbin:/usr/bin:/sbin:/bin";

    /// <summary>Where the list is read from: next to the config file, else next to the executable.</summary>
    public static string? FindList(string configPath)
    {
        var candidates = new List<string>();
        if (Path.GetDirectoryName(configPath) is { } d)
        {
            candidates.Add(Path.Combine(d, ListFileName));
        }

        if (System.Environment.ProcessPath is { } exe && Path.GetDirectoryName(exe) is { } e)
        {
            candidates.Add(Path.Combine(e, ListFileName));
        }

        return candidates.FirstOrDefault(c => PathRules.RealPath(c) is not null);
    }
}
