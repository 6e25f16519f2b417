using System.Diagnostics;
using System.Globalization;
using System.Text;
using CvmfsImages.Tests.Runtime.Support;
using CvmfsImages.TestSupport;
using Xunit;

namespace CvmfsImages.Tests.Runtime.EndToEnd;

/// <summary>
/// The real <c>singularity</c> command (this build's net10.0 output and the C starter) copied into a 0755 temp folder,
/// a root-owned config there, and busybox images; runs the command as <c>nobody</c> through <c>setpriv</c>. Needs
/// root (CI runs the tests as root): only root can drop to nobody, and only a root-owned config file is honoured.
/// </summary>
public class FrontEndSandbox : IDisposable
{
    public const int Nobody = 65534;
    private static readonly TimeSpan RunTimeout = TimeSpan.FromSeconds(60);
    private readonly string? _skipReason;
    private readonly string _setpriv = string.Empty;
    private readonly string _dotnetRoot = string.Empty;
    private readonly SetuidStarterPrefix? _setuid;

    public FrontEndSandbox()
        : this(null)
    {
    }

    /// <param name="publishedFolder">a <c>dotnet publish</c> output (the NativeAOT command and its starter) to test
    /// instead of this build's net10.0 output.</param>
    /// <param name="setuid">as a node without unprivileged user namespaces with <c>install --setuid</c>: the setuid
    /// starter's test build that never gets a user namespace, installed setuid root next to the command, and
    /// <c>allow setuid = yes</c> in every config (the starter's own compiled-in one too).</param>
    internal FrontEndSandbox(string? publishedFolder, bool setuid = false)
    {
        Root = Directory.CreateTempSubdirectory("cvmfs-images-frontend-").FullName;
        File.SetUnixFileMode(Root, Mode0755);
        if (CvmfsImages.Runtime.Native.Libc.GetUid() != 0)
        {
            _skipReason = "end-to-end runtime tests need root, to drop to nobody with setpriv and to own the test config (CI runs as root)";
            return;
        }

        var starter = publishedFolder is null ? StarterBuild.Find() : Path.Combine(publishedFolder, "starter");
        if (starter is null)
        {
            _skipReason = "the starter is not built: run `make -C Runtime/starter` (dotnet build does it)";
            return;
        }

        if (!BusyboxImage.Available)
        {
            _skipReason = "'/bin/busybox' is missing: run `apt-get install busybox-static`";
            return;
        }

        _setpriv = RequiredTool.Find("setpriv") ?? string.Empty;
        if (_setpriv.Length == 0)
        {
            _skipReason = "'setpriv' is not installed: run `apt-get install util-linux`";
            return;
        }

        // The framework-dependent apphost needs a .NET install that nobody can read; when this one is private
        // (e.g. /root/.dotnet), the running runtime and hostfxr are copied into the sandbox (about 80 MB, once).
        var framework = Path.GetDirectoryName(typeof(object).Assembly.Location)!;
        _dotnetRoot = Path.GetFullPath(Path.Combine(framework, "..", "..", ".."));
        if (publishedFolder is null && !IsWorldReadablePath(_dotnetRoot))
        {
            var copy = Path.Combine(Root, "dotnet");
            CopyTree(Path.Combine(_dotnetRoot, "host"), Path.Combine(copy, "host"));
            CopyTree(framework, Path.Combine(copy, "shared", "Microsoft.NETCore.App", Path.GetFileName(framework)));
            foreach (var dir in new[] { copy, Path.Combine(copy, "shared"), Path.Combine(copy, "shared", "Microsoft.NETCore.App") })
            {
                File.SetUnixFileMode(dir, Mode0755);
            }

            _dotnetRoot = copy;
        }

        Bin = Directory.CreateDirectory(Path.Combine(Root, "bin")).FullName;
        var from = publishedFolder ?? AppContext.BaseDirectory;
        string[] names = publishedFolder is null
            ? ["singularity", "singularity.dll", "singularity.deps.json", "singularity.runtimeconfig.json", "nvliblist.conf"]
            : ["singularity", "nvliblist.conf"];
        foreach (var name in names)
        {
            File.Copy(Path.Combine(from, name), Path.Combine(Bin, name));
            File.SetUnixFileMode(Path.Combine(Bin, name), Mode0755);
        }

        File.Copy(starter, Path.Combine(Bin, "starter"));
        File.SetUnixFileMode(Path.Combine(Bin, "starter"), Mode0755);
        if (setuid)
        {
            _setuid = new SetuidStarterPrefix(SetuidStarterPrefix.AllowSetuid(File.ReadAllText(Path.Combine(from, "singularity.conf"))));
            File.Copy(_setuid.NoUserns, Path.Combine(Bin, "starter-suid"));
            File.SetUnixFileMode(Path.Combine(Bin, "starter-suid"), SetuidStarterPrefix.Mode4755);
        }

        File.SetUnixFileMode(Bin, Mode0755);
        Directory.CreateDirectory(Path.Combine(Root, "conf"));
        File.SetUnixFileMode(Path.Combine(Root, "conf"), Mode0755);
        DefaultConfig = WriteConfig("default", File.ReadAllText(Path.Combine(from, "singularity.conf")));
        Image = BusyboxImage.Create(Path.Combine(Root, "img"));
    }

    public static UnixFileMode Mode0755 => (UnixFileMode)0b111_101_101;

    public string Root { get; }

    public string Bin { get; } = string.Empty;

    public string Image { get; } = string.Empty;

    public string DefaultConfig { get; } = string.Empty;

    public string Singularity => Path.Combine(Bin, "singularity");

    /// <summary>Whether the command runs the setuid starter (a node without unprivileged user namespaces).</summary>
    public bool IsSetuid => _setuid is not null;

    public void RequireReady()
    {
        if (_skipReason is not null)
        {
            RequiredTool.SkipOrFail(_skipReason);
        }
    }

    /// <summary>Writes a root-owned 0644 config file and returns its path.</summary>
    public string WriteConfig(string name, string text)
    {
        var path = Path.Combine(Root, "conf", name + ".conf");
        File.WriteAllText(path, IsSetuid ? SetuidStarterPrefix.AllowSetuid(text) : text);
        File.SetUnixFileMode(path, (UnixFileMode)0b110_100_100);
        return path;
    }

    /// <summary>A folder in the sandbox, 0755, or 0777 when nobody must write into it; owned by nobody with <paramref name="ownedByNobody"/>.</summary>
    public string CreateFolder(string name, bool worldWritable = false, bool ownedByNobody = false)
    {
        var path = Path.Combine(Root, name);
        Directory.CreateDirectory(path);
        File.SetUnixFileMode(path, worldWritable ? (UnixFileMode)0b111_111_111 : Mode0755);
        if (ownedByNobody)
        {
            using var chown = Process.Start("chown", [$"{Nobody}:{Nobody}", path])!;
            chown.WaitForExit();
            Assert.Equal(0, chown.ExitCode);
        }

        return path;
    }

    public RunResult Run(IEnumerable<string> args, Dictionary<string, string>? env = null, string? config = null, string? cwd = null, string? stdin = null, string? shellSetup = null, bool asRoot = false, IReadOnlyList<string>? launcher = null)
    {
        using var process = Start(args, env, config, cwd, shellSetup, asRoot, launcher);
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (stdin is not null)
        {
            process.StandardInput.Write(stdin);
        }

        process.StandardInput.Close();
        if (!process.WaitForExit(RunTimeout))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"singularity did not exit within {RunTimeout}");
        }

        process.WaitForExit();
        return new RunResult(process.ExitCode, stdout.Result, stderr.Result);
    }

    /// <summary>
    /// Starts <c>singularity ARGS</c> as nobody with a small known environment (PATH, the config override, DOTNET_ROOT)
    /// plus <paramref name="env"/>, SIGINT and SIGQUIT at their defaults (<see cref="SignalDispositions"/>). With
    /// <paramref name="shellSetup"/> a shell runs it first (as root, before setpriv). With <paramref name="asRoot"/> it
    /// runs as root (a pilot running as root), without setpriv. <paramref name="launcher"/> (e.g. <c>mpirun -np 4</c>) runs
    /// the command, as the same user.
    /// </summary>
    public Process Start(IEnumerable<string> args, Dictionary<string, string>? env = null, string? config = null, string? cwd = null, string? shellSetup = null, bool asRoot = false, IReadOnlyList<string>? launcher = null)
    {
        RequireReady();
        var info = new ProcessStartInfo
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = cwd ?? Root,
            StandardOutputEncoding = Encoding.UTF8,
        };
        var command = new List<string>(SignalDispositions.Prefix());
        if (shellSetup is not null)
        {
            command.AddRange(["/bin/sh", "-c", $"{shellSetup}\nexec \"$@\"", "sh"]);
        }

        if (!asRoot)
        {
            command.AddRange([_setpriv, "--reuid=nobody", "--regid=nogroup", "--clear-groups"]);
        }

        command.AddRange([.. launcher ?? [], Singularity, .. args]);
        info.FileName = command[0];
        foreach (var word in command.Skip(1))
        {
            info.ArgumentList.Add(word);
        }

        // Setuid mode: the starter reads only its compiled-in config; on a node that is the same file as the front
        // end's, so it gets this run's. (The tests of one collection run one at a time.)
        _setuid?.WriteConfig(File.ReadAllText(config ?? DefaultConfig));
        info.Environment.Clear();
        info.Environment["PATH"] = "/usr/sbin:/usr/bin:/sbin:/bin";
        info.Environment["DOTNET_ROOT"] = _dotnetRoot;
        info.Environment["CVMFS_IMAGES_SINGULARITY_CONF"] = config ?? DefaultConfig;
        foreach (var (key, value) in env ?? [])
        {
            info.Environment[key] = value;
        }

        return Process.Start(info)!;
    }

    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    protected virtual void Dispose(bool disposing)
    {
        if (!disposing)
        {
            return;
        }

        _setuid?.Dispose();
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

    private static void CopyTree(string from, string to)
    {
        Directory.CreateDirectory(to);
        File.SetUnixFileMode(to, Mode0755);
        foreach (var file in Directory.EnumerateFiles(from))
        {
            var target = Path.Combine(to, Path.GetFileName(file));
            File.Copy(file, target);
            File.SetUnixFileMode(target, Mode0755);
        }

        foreach (var dir in Directory.EnumerateDirectories(from))
        {
            CopyTree(dir, Path.Combine(to, Path.GetFileName(dir)));
        }
    }

    private static bool IsWorldReadablePath(string path)
    {
        for (var dir = path; dir is not null; dir = Path.GetDirectoryName(dir))
        {
            if ((File.GetUnixFileMode(dir) & UnixFileMode.OtherExecute) == 0)
            {
                return false;
            }
        }

        return true;
    }

}
