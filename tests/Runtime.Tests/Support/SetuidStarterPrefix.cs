using System.Diagnostics;

namespace CvmfsImages.Tests.Runtime.Support;

/// <summary>
/// The setuid starter as a site installs it, in a temp prefix: <c>make suid-test</c> builds it (the test builds only)
/// with the compiled-in config at <see cref="ConfigPath"/> in this prefix, and it is installed root-owned, mode 4755,
/// in a root-owned 0755 <c>libexec</c>, the config root-owned 0644 in a root-owned 0755 <c>etc</c>. Two builds:
/// <see cref="Starter"/> (probes unprivileged user namespaces and prefers them) and <see cref="NoUserns"/> (answers as
/// a kernel with <c>user.max_user_namespaces = 0</c>: always the setuid mode). Needs root (CI runs as root).
/// </summary>
public sealed class SetuidStarterPrefix : IDisposable
{
    public const string DefaultConfig = "allow setuid = yes\n";
    private static readonly TimeSpan BuildTimeout = TimeSpan.FromMinutes(5);

    public SetuidStarterPrefix(string config = DefaultConfig)
    {
        if (CvmfsImages.Runtime.Native.Libc.GetUid() != 0)
        {
            SkipReason = "the setuid tests need root, to install the setuid starter root-owned and to drop to nobody (CI runs as root)";
            Root = string.Empty;
            return;
        }

        // Canonical (the starter takes no link on the way to its config), root-owned, 0755, in the sticky /tmp.
        var temp = Directory.CreateTempSubdirectory("cvmfs-images-suid-").FullName;
        Root = new DirectoryInfo(temp).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? temp;
        File.SetUnixFileMode(Root, Mode0755);
        Directory.CreateDirectory(Libexec);
        Directory.CreateDirectory(Etc);
        File.SetUnixFileMode(Libexec, Mode0755);
        File.SetUnixFileMode(Etc, Mode0755);
        WriteConfig(config);
        Build();
    }

    public static UnixFileMode Mode0755 => (UnixFileMode)0b111_101_101;

    public static UnixFileMode Mode4755 => UnixFileMode.SetUser | Mode0755;

    public string? SkipReason { get; }

    public string Root { get; }

    public string Libexec => Path.Combine(Root, "libexec");

    public string Etc => Path.Combine(Root, "etc");

    /// <summary>The config path compiled into both builds.</summary>
    public string ConfigPath => Path.Combine(Etc, "singularity.conf");

    /// <summary>The setuid starter as installed: unprivileged user namespaces are probed and preferred.</summary>
    public string Starter => Path.Combine(Libexec, "starter-suid");

    /// <summary>The test build that never gets a user namespace (as with user.max_user_namespaces = 0).</summary>
    public string NoUserns => Path.Combine(Libexec, "starter-suid-nouserns");

    /// <summary><paramref name="config"/> with its <c>allow setuid</c> line set to yes, or the line added.</summary>
    public static string AllowSetuid(string config)
    {
        ArgumentNullException.ThrowIfNull(config);
        var lines = config.Split('\n').Select(l => l.TrimStart().StartsWith("allow setuid", StringComparison.Ordinal) ? "allow setuid = yes" : l).ToList();
        return lines.Contains("allow setuid = yes") ? string.Join('\n', lines) : config + (config.EndsWith('\n') || config.Length == 0 ? string.Empty : "\n") + DefaultConfig;
    }

    /// <summary><see cref="NoUserns"/> resolving by the component walk and remounting submounts one by one, as on
    /// kernels without openat2 (5.6) and mount_setattr (5.12).</summary>
    public string NoUsernsWalk => Path.Combine(Libexec, "starter-suid-nouserns-walk");

    /// <summary>Replaces the compiled-in config (root-owned, 0644, written under another name and renamed).</summary>
    public void WriteConfig(string text)
    {
        var staged = Path.Combine(Etc, ".singularity.conf.new");
        File.WriteAllText(staged, text);
        File.SetUnixFileMode(staged, (UnixFileMode)0b110_100_100);
        File.Move(staged, ConfigPath, overwrite: true);
    }

    /// <summary>The Runtime/starter source folder of this checkout.</summary>
    public static string SourceFolder()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "Runtime", "starter", "Makefile");
            if (File.Exists(candidate))
            {
                return Path.GetDirectoryName(candidate)!;
            }
        }

        throw new FileNotFoundException("Runtime/starter/Makefile not found above " + AppContext.BaseDirectory);
    }

    public void Dispose()
    {
        if (Root.Length == 0)
        {
            return;
        }

        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    private void Build()
    {
        var info = new ProcessStartInfo("make") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var word in new[] { "-C", SourceFolder(), "--no-print-directory", "suid-test", "SUID_TEST_DIR=" + Libexec, "SUID_TEST_CONFIG=" + ConfigPath })
        {
            info.ArgumentList.Add(word);
        }

        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(BuildTimeout))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"make suid-test did not finish within {BuildTimeout}");
        }

        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"make suid-test failed ({process.ExitCode}): {stdout.Result}\n{stderr.Result}");
        }

        foreach (var build in new[] { Starter, NoUserns, NoUsernsWalk })
        {
            File.SetUnixFileMode(build, Mode4755);
        }
    }
}
