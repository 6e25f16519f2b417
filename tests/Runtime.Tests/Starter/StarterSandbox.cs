using System.Diagnostics;
using System.Globalization;
using System.Text;
using CvmfsImages.Tests.Runtime.Support;
using CvmfsImages.TestSupport;
using Xunit;

namespace CvmfsImages.Tests.Runtime.Starter;

/// <summary>
/// A world-readable (0755) temp folder with a copy of the real starter binary and busybox images, and a way to run
/// the starter with protocol argv as an unprivileged user: as <c>nobody</c> through <c>setpriv</c> when the tests
/// run as root (CI), else as the current user. The CI clone may live under /root (0700), so nothing the
/// unprivileged user executes or reads is left there.
/// </summary>
public sealed class StarterSandbox : IDisposable
{
    public const string Magic = "CVMFS-IMAGES-STARTER-1";
    private static readonly TimeSpan RunTimeout = TimeSpan.FromSeconds(60);
    private static readonly string[] ImageCommands =
        ["sh", "id", "cat", "ls", "ps", "sleep", "true", "false", "echo", "env", "pwd", "mkdir", "touch", "grep", "kill", "stat", "readlink", "tr", "mount", "cut"];

    private readonly string? _setpriv;
    private readonly string? _skipReason;

    public StarterSandbox()
    {
        Root = Directory.CreateTempSubdirectory("cvmfs-images-starter-").FullName;
        File.SetUnixFileMode(Root, Mode0755);
        var binary = StarterBuild.Find();
        var busybox = RequiredTool.Find("busybox");
        if (binary is null)
        {
            _skipReason = "the starter is not built: run `make -C Runtime/starter` (dotnet build does it)";
            return;
        }

        if (busybox is null)
        {
            _skipReason = "'busybox' is not installed: run `apt-get install busybox-static`";
            return;
        }

        Starter = Path.Combine(Root, "starter");
        File.Copy(binary, Starter);
        File.SetUnixFileMode(Starter, Mode0755);
        StarterWalk = CopyBuild(StarterBuild.Walk);
        StarterAppArmorDenied = CopyBuild(StarterBuild.AppArmorDenied);

        Busybox = busybox;
        IsRoot = ReadStatusIds("Uid:") == 0;
        if (IsRoot)
        {
            _setpriv = RequiredTool.Find("setpriv");
            if (_setpriv is null)
            {
                _skipReason = "'setpriv' is not installed: run `apt-get install util-linux`";
                return;
            }

            Uid = LookUpId("/etc/passwd", "nobody");
            Gid = LookUpId("/etc/group", "nogroup");
        }
        else
        {
            Uid = ReadStatusIds("Uid:");
            Gid = ReadStatusIds("Gid:");
        }

        Image = CreateImage("image");
        _skipReason = ProbeUserNamespaces();
    }

    public static UnixFileMode Mode0755 =>
        UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead |
        UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute;

    /// <summary>The 0755 folder everything lives in.</summary>
    public string Root { get; }

    public string Starter { get; } = string.Empty;

    /// <summary>
    /// The test build of the starter that resolves paths by its component walk, as on kernels without openat2
    /// (<c>make</c> builds it next to the starter); null when it is not built.
    /// </summary>
    public string? StarterWalk { get; }

    /// <summary>Both resolvers: the starter (openat2) and, when built, the walk of kernels before 5.6.</summary>
    public IEnumerable<string> Resolvers()
    {
        RequireReady();
        if (StarterWalk is null)
        {
            RequiredTool.SkipOrFail("Runtime/starter/build/starter-walk is not built: run `make -C Runtime/starter` (dotnet build does it)");
        }

        return [Starter, StarterWalk];
    }

    /// <summary>
    /// The test build that answers as a kernel under AppArmor's user-namespace restriction and reads the restriction's
    /// sysctl from <see cref="FakeAppArmorSysctl"/>; null when it is not built.
    /// </summary>
    public string? StarterAppArmorDenied { get; }

    /// <summary>Where <see cref="StarterAppArmorDenied"/> reads kernel.apparmor_restrict_unprivileged_userns (Makefile).</summary>
    public const string FakeAppArmorSysctl = "/run/cvmfs-images-test/apparmor_restrict_unprivileged_userns";

    public string Busybox { get; } = string.Empty;

    /// <summary>The basic busybox image (do not modify it in a test; make your own with <see cref="CreateImage"/>).</summary>
    public string Image { get; } = string.Empty;

    public bool IsRoot { get; }

    /// <summary>The uid and gid the starter runs as (nobody/nogroup under root).</summary>
    public int Uid { get; }

    public int Gid { get; }

    /// <summary>USER, NAMESPACES and ROOT: the three ops every list starts with.</summary>
    public string[] Prologue(bool pid, string? image = null, bool ipc = false) =>
    [
        "USER", Uid.ToString(CultureInfo.InvariantCulture), Gid.ToString(CultureInfo.InvariantCulture),
        "NAMESPACES", pid ? "1" : "0", ipc ? "1" : "0",
        "ROOT", image ?? Image,
    ];

    /// <summary>The usual ops for a run: prologue, /proc (new one with a PID namespace, else the host's), /dev, PATH.</summary>
    public string[] Standard(bool pid, string? image = null) =>
    [
        .. Prologue(pid, image),
        pid ? "PROC" : "BIND_PROC", "/proc",
        "DEV", "/dev",
        "ENV", "PATH=/bin",
    ];

    /// <summary>EXEC with its argc.</summary>
    public static string[] Exec(params string[] argv) => ["EXEC", argv.Length.ToString(CultureInfo.InvariantCulture), .. argv];

    /// <summary>A shell payload: EXEC 3 sh -c script.</summary>
    public static string[] Shell(string script) => Exec("sh", "-c", script);

    /// <summary>Skips (or fails, under CI) the calling test when the sandbox could not be built here.</summary>
    public void RequireReady()
    {
        if (_skipReason is not null)
        {
            RequiredTool.SkipOrFail(_skipReason);
        }
    }

    /// <summary>
    /// A directory image: busybox with links for the usual commands, and the directories a container needs.
    /// Everything is world-readable; owned by the test user (root in CI), so the starter cannot write into it.
    /// </summary>
    public string CreateImage(string name)
    {
        var image = Path.Combine(Root, name);
        foreach (var dir in new[] { "bin", "proc", "dev", "sys", "tmp", "etc", "home", "opt", "var" })
        {
            Directory.CreateDirectory(Path.Combine(image, dir));
        }

        File.Copy(Busybox, Path.Combine(image, "bin", "busybox"));
        File.SetUnixFileMode(Path.Combine(image, "bin", "busybox"), Mode0755);
        foreach (var command in ImageCommands)
        {
            File.CreateSymbolicLink(Path.Combine(image, "bin", command), "busybox");
        }

        File.WriteAllText(Path.Combine(image, "etc", "hostname"), "image\n");
        foreach (var dir in Directory.EnumerateDirectories(image, "*", SearchOption.AllDirectories).Append(image))
        {
            File.SetUnixFileMode(dir, Mode0755);
        }

        return image;
    }

    /// <summary>A folder in the sandbox, 0755 (or 0777 when the unprivileged user must write into it).</summary>
    public string CreateFolder(string name, bool worldWritable = false)
    {
        var path = Path.Combine(Root, name);
        Directory.CreateDirectory(path);
        File.SetUnixFileMode(path, worldWritable ? Mode0755 | UnixFileMode.GroupWrite | UnixFileMode.OtherWrite : Mode0755);
        return path;
    }

    /// <summary>Run the starter with these op words as argv (after the magic word) and wait for it.</summary>
    public StarterResult Run(IEnumerable<string> ops, string? shellSetup = null, bool privateMounts = false, string? starter = null, IReadOnlyDictionary<string, string>? environment = null) =>
        Run(Start(ops, shellSetup, privateMounts, starter: starter, environment: environment));

    /// <summary>Wait for a started run and collect its output; a run that hangs is killed and fails the test.</summary>
    public static StarterResult Run(StartedStarter started)
    {
        ArgumentNullException.ThrowIfNull(started);
        using var process = started.Process;
        if (!process.WaitForExit(RunTimeout))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"the starter did not exit within {RunTimeout}");
        }

        process.WaitForExit();
        return new StarterResult(process.ExitCode, started.Stdout.ToString(), started.Stderr.ToString());
    }

    /// <summary>
    /// Start the starter (as the unprivileged user, with an empty environment, as the front end does). With
    /// <paramref name="shellSetup"/> a shell runs that first (e.g. <c>exec 7&lt;/etc/hostname</c>) and then execs
    /// the rest; with <paramref name="privateMounts"/> (root only) all of it runs in a private mount namespace, so
    /// the setup may mount things without touching the host. SIGINT and SIGQUIT start at their defaults, whatever
    /// the test runner inherited; <paramref name="ignoreSignals"/> (e.g. <c>INT,PIPE</c>) starts those ignored.
    /// <paramref name="environment"/>: variables the caller sets (the front end passes none; an attacker might).
    /// </summary>
    public StartedStarter Start(IEnumerable<string> ops, string? shellSetup = null, bool privateMounts = false, bool rawArgv = false, string? starter = null, string? ignoreSignals = null, bool asRoot = false, IReadOnlyDictionary<string, string>? environment = null)
    {
        RequireReady();
        var info = new ProcessStartInfo
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Root,
        };
        var command = new List<string>(SignalDispositions.Prefix(ignoreSignals));
        if (privateMounts)
        {
            command.AddRange([RequiredTool.Require("unshare", "util-linux"), "--mount", "--propagation", "private"]);
        }

        if (shellSetup is not null || privateMounts)
        {
            command.AddRange(["/bin/sh", "-c", $"{shellSetup ?? ":"}\nexec \"$@\"", "sh"]);
        }

        if (asRoot && !IsRoot)
        {
            RequiredTool.SkipOrFail("this test runs the starter as root: run the tests as root (CI does)");
        }

        if (_setpriv is not null && !asRoot)
        {
            command.AddRange([_setpriv, "--reuid=" + Uid.ToString(CultureInfo.InvariantCulture), "--regid=" + Gid.ToString(CultureInfo.InvariantCulture), "--clear-groups"]);
        }

        if (environment is { Count: > 0 })
        {
            // Set by env(1) for the starter's exec alone: the dynamic programs before it (setpriv) never see them.
            command.Add(RequiredTool.Require("env", "coreutils"));
            command.AddRange(environment.Select(e => $"{e.Key}={e.Value}"));
        }

        command.Add(starter ?? Starter);
        if (!rawArgv)
        {
            command.Add(Magic);
        }

        command.AddRange(ops);
        info.FileName = command[0];
        command.RemoveAt(0);
        foreach (var word in command)
        {
            info.ArgumentList.Add(word);
        }

        info.Environment.Clear();
        var started = new StartedStarter(new Process { StartInfo = info });
        started.Process.OutputDataReceived += (_, e) => started.OnLine(e.Data, isError: false);
        started.Process.ErrorDataReceived += (_, e) => started.OnLine(e.Data, isError: true);
        started.Process.Start();
        started.Process.BeginOutputReadLine();
        started.Process.BeginErrorReadLine();
        return started;
    }

    // One trivial run: when the kernel (or a seccomp/AppArmor policy around it) refuses unprivileged user
    // namespaces, every test would fail the same way; say it once, clearly.
    private string? ProbeUserNamespaces()
    {
        var result = Run([.. Prologue(pid: false), .. Exec("/bin/true")]);
        if (result.ExitCode == 0)
        {
            return null;
        }

        return result.Stderr.Contains("cannot create a user namespace", StringComparison.Ordinal)
            ? "unprivileged user namespaces are not available here (sysctl user.max_user_namespaces, " +
              "kernel.apparmor_restrict_unprivileged_userns, or a container's seccomp policy): " + result.Stderr.Trim()
            : null; // Anything else is a real failure: the tests themselves will show it.
    }

    /// <summary>
    /// Polls <paramref name="done"/> until it holds or <paramref name="limit"/> passes; returns its last value. For
    /// waiting on the kernel (an exec, a namespace torn down), never to synchronise with a payload's output.
    /// </summary>
    public static bool PollUntil(Func<bool> done, TimeSpan limit)
    {
        var until = DateTime.UtcNow + limit;
        while (!done() && DateTime.UtcNow < until)
        {
            Thread.Sleep(20);
        }

        return done();
    }

    /// <summary>Send a signal to a process (kill(1): the BCL only sends SIGKILL).</summary>
    public static void Signal(int pid, string signal)
    {
        using var kill = Process.Start("kill", ["-s", signal, pid.ToString(CultureInfo.InvariantCulture)]);
        kill.WaitForExit();
        Assert.Equal(0, kill.ExitCode);
    }

    public void Dispose()
    {
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


    private string? CopyBuild(string name)
    {
        var build = StarterBuild.Find(name);
        if (build is null)
        {
            return null;
        }

        var copy = Path.Combine(Root, name);
        File.Copy(build, copy);
        File.SetUnixFileMode(copy, Mode0755);
        return copy;
    }

    private static int ReadStatusIds(string field)
    {
        var line = File.ReadLines("/proc/self/status").First(l => l.StartsWith(field, StringComparison.Ordinal));
        return int.Parse(line[field.Length..].Split('\t', StringSplitOptions.RemoveEmptyEntries)[0], CultureInfo.InvariantCulture);
    }

    private static int LookUpId(string database, string name)
    {
        var line = File.ReadLines(database).FirstOrDefault(l => l.StartsWith(name + ":", StringComparison.Ordinal))
            ?? throw new InvalidOperationException($"{name} is not in {database}");
        return int.Parse(line.Split(':')[2], CultureInfo.InvariantCulture);
    }
}
