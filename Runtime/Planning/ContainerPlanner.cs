using System.Text;
using CvmfsImages.Runtime.Cli;
using CvmfsImages.Runtime.Config;
using CvmfsImages.Runtime.Environment;
using CvmfsImages.Runtime.Native;

namespace CvmfsImages.Runtime.Planning;

/// <summary>
/// Turns a request and the site policy into the starter's op list. It decides every mount, its canonical destination
/// inside the image (<see cref="ContainerView"/>), what must be created (UNDERLAY + MKDIR/MKFILE, never in the image
/// itself and never on the host), the working directory, the environment and the payload's argv.
/// </summary>
internal sealed partial class ContainerPlanner
{
    private const long MiB = 1024 * 1024;
    private readonly PlannerInput _in;
    private readonly List<Op> _underlays = [];
    private readonly List<Op> _mountOps = [];
    private ContainerView _view = null!;

    public ContainerPlanner(PlannerInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        _in = input;
    }

    private Invocation Inv => _in.Invocation;

    private RuntimeConfig Config => _in.Config;

    public ContainerPlan Plan()
    {
        var (givenImage, imageRoot) = ResolveImage();
        _view = new ContainerView(imageRoot);
        var (pid, ipc) = Namespaces();
        var (homeSource, homeDestination, homeKind) = Home();

        var requests = new List<MountRequest>();
        SystemMounts(requests, pid, homeSource, homeDestination, homeKind);
        ConfigBinds(requests);
        UserBinds(requests);
        Scratch(requests);
        Nvidia(requests);
        IdentityFiles(requests, homeDestination);
        PlaceAll(requests);

        var cwd = WorkingDirectories(homeDestination);
        var (command, immediateExit, isShell) = Payload();
        if (immediateExit is not null)
        {
            // Nothing to run (`test` on an image without a test script): no container is started.
            return new ContainerPlan([], cwd[0], imageRoot, immediateExit) { GivenImage = givenImage };
        }

        var runtimeVariables = new List<KeyValuePair<string, string>>
        {
            new("SINGULARITY_CONTAINER", givenImage),
            new("SINGULARITY_NAME", Path.GetFileName(givenImage.TrimEnd('/'))),
            new("APPTAINER_CONTAINER", givenImage),
            new("APPTAINER_NAME", Path.GetFileName(givenImage.TrimEnd('/'))),
            new("SINGULARITY_COMMAND", ActionName),
            new("APPTAINER_COMMAND", ActionName),
        };
        if (isShell)
        {
            runtimeVariables.Add(new("PS1", "Singularity> "));
        }

        var envFiles = Inv.EnvFiles.Select(ReadEnvFile).ToList();
        var environment = EnvironmentBuilder.Build(_in.Environment, Inv.CleanEnv, homeDestination, _in.User.Name, runtimeVariables, envFiles, Inv.Env, _in.Messages);

        List<KeyValuePair<string, string>> env;
        List<string> argv;
        if (NeedsWrapper(environment) && IsExecutableInImage(ShellWrapper.Shell))
        {
            env = ShellWrapper.Environment(environment);
            argv = ShellWrapper.Command(ActionName, command);
        }
        else
        {
            _in.Messages.Verbose("Running the payload directly (no environment scripts to source, or no /bin/sh in the image)");
            env = EnvironmentBuilder.Flatten(environment);
            argv = [.. command];
        }

        // USER, NAMESPACES, ROOT: exactly these three first (the protocol refuses anything else before them).
        var ops = new List<Op>
        {
            UserOp(),
            Op.Namespaces(pid, ipc),
            Op.Root(imageRoot),
        };
        if (_in.Messages.IsDebug)
        {
            ops.Add(Op.Debug());
        }

        ops.AddRange(_underlays.OrderBy(o => PathRules.Components(o.Args[0]).Count));
        ops.AddRange(_mountOps);
        ops.AddRange(cwd.Select(Op.Chdir));
        ops.AddRange(env.Select(kv => Op.Env(kv.Key, kv.Value)));
        ops.Add(Op.Exec(argv));
        return new ContainerPlan(ops, cwd[0], imageRoot, immediateExit) { Command = command, GivenImage = givenImage };
    }

    /// <summary>
    /// The user namespace: the caller's own ids mapped in a new one; or the one this parent's other containers
    /// share (<c>--sharens</c>); or, for root with <c>root default capabilities = full</c> (Apptainer's default) and
    /// no <c>--no-privs</c>, none at all: root keeps the capabilities it has.
    /// </summary>
    private Op UserOp()
    {
        var user = _in.User;
        if (user.Uid == 0 && Config.RootKeepsCapabilities && !Inv.NoPrivs)
        {
            _in.Messages.Verbose($"Root keeps its capabilities ('root default capabilities = full' in {Config.Path}; --no-privs drops them)");
            if (Inv.ShareNs)
            {
                _in.Messages.Verbose("--sharens: root stays in the host's user namespace, which every such container shares already");
            }

            return Op.UserHost(user.Uid, user.Gid);
        }

        if (Inv.ShareNs)
        {
            var parent = _in.Parent();
            _in.Messages.Verbose($"--sharens: sharing the user namespace with the other containers of process {parent.Pid}");
            return Op.UserShared(user.Uid, user.Gid, parent.Pid, parent.StartTime);
        }

        return Op.User(user.Uid, user.Gid);
    }

    /// <summary>
    /// The shell wrapper is needed only when there is something for it to do: environment scripts in the image, or
    /// user-defined variables to export over them. Otherwise the payload is exec'd directly (one exec fewer per job)
    /// with the same final environment.
    /// </summary>
    private bool NeedsWrapper(ContainerEnvironment environment)
    {
        if (environment.UserDefined.Count > 0 || environment.PathOverride is not null || environment.PrependPath is not null || environment.AppendPath is not null)
        {
            return true;
        }

        try
        {
            var env = _view.Resolve("/.singularity.d/env");
            return env.Exists && env.Kind == FileKind.Directory;
        }
        catch (RuntimeFailureException)
        {
            return true;
        }
    }

    private string ActionName => Inv.Action switch
    {
        ActionKind.Run => "run",
        ActionKind.Shell => "shell",
        ActionKind.Test => "test",
        _ => "exec",
    };

    private (string Given, string Root) ResolveImage()
    {
        var given = Inv.Image ?? throw new RuntimeFailureException("no image given");
        if (given.Contains("://", StringComparison.Ordinal))
        {
            throw new RuntimeFailureException($"image {given}: URIs are not supported; give the path of a directory image (for example under /cvmfs/singularity.opensciencegrid.org)") { Subject = given };
        }

        var absolute = Path.GetFullPath(given, _in.CurrentDirectory);
        var real = PathRules.RealPath(absolute)
            ?? throw new RuntimeFailureException($"image {given}: no such file or directory") { Subject = given };
        var status = FileStatus.Of(real);
        if (status.Kind != FileKind.Directory)
        {
            throw new RuntimeFailureException($"image {given}: not a directory (only directory images are supported)") { Subject = given };
        }

        if (!Config.AllowContainerDir)
        {
            throw new RuntimeFailureException($"image {given}: directory images are not allowed by 'allow container dir = no' in {Config.Path}") { Subject = given };
        }

        if (Config.LimitContainerPaths.Count > 0 && !Config.LimitContainerPaths.Any(p => PathRules.IsAtOrUnder(real, p)))
        {
            throw new RuntimeFailureException($"image {given} ({real}) is not under 'limit container paths = {string.Join(", ", Config.LimitContainerPaths)}' in {Config.Path}") { Subject = given };
        }

        _in.Messages.Verbose($"Image {given} is the directory {real}");
        return (absolute, real);
    }

    private (bool Pid, bool Ipc) Namespaces()
    {
        var pid = Inv.Pid;
        var ipc = Inv.Ipc;
        if (pid && !Config.AllowPidNs)
        {
            _in.Messages.Warning($"a PID namespace was requested but 'allow pid ns = no' in {Config.Path}; not using one");
            pid = false;
        }

        if (ipc && !Config.AllowIpcNs)
        {
            _in.Messages.Warning($"an IPC namespace was requested but 'allow ipc ns = no' in {Config.Path}; not using one");
            ipc = false;
        }

        return (pid, ipc);
    }

    private string? Workdir()
    {
        if (Inv.Workdir is null)
        {
            return null;
        }

        var real = PathRules.RealPath(Path.GetFullPath(Inv.Workdir, _in.CurrentDirectory));
        if (real is null || FileStatus.Of(real).Kind != FileKind.Directory)
        {
            throw new RuntimeFailureException($"--workdir {Inv.Workdir}: no such directory") { Subject = Inv.Workdir };
        }

        return real;
    }

    private static string HostSubdirectory(string workdir, string name)
    {
        var path = Path.Combine(workdir, name);
        try
        {
            Directory.CreateDirectory(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new RuntimeFailureException($"--workdir: cannot create {path}: {e.Message}", e) { Subject = path };
        }

        return PathRules.RealPath(path) ?? path;
    }
}
