using CvmfsImages.Runtime.Cli;
using CvmfsImages.Runtime.Native;

namespace CvmfsImages.Runtime.Planning;

/// <summary>Placing mounts: canonical destinations, what to create, the op per mount; then cwd and payload.</summary>
internal sealed partial class ContainerPlanner
{
    private void PlaceAll(List<MountRequest> requests)
    {
        // A later request for the same destination replaces an earlier one (a user bind over a config bind path).
        var last = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < requests.Count; i++)
        {
            last[requests[i].Destination] = i;
        }

        var kept = requests.Where((r, i) => last[r.Destination] == i).ToList();
        foreach (var dropped in requests.Where((r, i) => last[r.Destination] != i))
        {
            _in.Messages.Verbose($"{dropped.Origin}: {dropped.Destination} is replaced by a later request");
        }

        // Parents first (stable): /home before /home/user/data, whatever order the binds were given in.
        foreach (var request in kept.OrderBy(r => r.Depth))
        {
            Place(request);
        }
    }

    private void Place(MountRequest request)
    {
        ResolvedPath resolved;
        try
        {
            resolved = _view.Resolve(request.Destination);
        }
        catch (IOException e)
        {
            throw new RuntimeFailureException($"{request.Origin}: cannot resolve {request.Destination} in the container: {e.Message}", e) { Subject = request.Destination };
        }

        var wantFile = request.Kind == MountKind.File || (request.Kind == MountKind.Bind && request.SourceIsFile);
        var canonical = resolved.Canonical;
        if (canonical == "/")
        {
            throw new RuntimeFailureException($"{request.Origin}: refusing to mount over the container's root") { Subject = request.Destination };
        }

        if (resolved.Exists)
        {
            var isDirectory = resolved.Kind == FileKind.Directory;
            if (isDirectory == wantFile)
            {
                var message = $"{request.Origin}: {request.Destination} is a {(isDirectory ? "directory" : "file")} in the container but the source is a {(wantFile ? "file" : "directory")}";
                if (request.Required)
                {
                    throw new RuntimeFailureException(message) { Subject = request.Destination };
                }

                _in.Messages.Warning(message + "; skipped");
                return;
            }
        }
        else if (!Create(resolved, wantFile, request))
        {
            return;
        }

        if (canonical != request.Destination)
        {
            _in.Messages.Debug($"{request.Destination} resolves to {canonical} inside the image");
        }

        _view.AddMount(new PlannedMount(request.Kind, canonical, request.Source, request.ReadOnly));
        _mountOps.Add(request.Kind switch
        {
            MountKind.Bind when request.IsHome => Op.BindHome(request.Source!, canonical),
            MountKind.Bind => Op.Bind(request.Source!, canonical, request.ReadOnly),
            MountKind.Tmpfs => Op.Tmpfs(canonical, Config.SessionDirMaxSizeMiB * MiB),
            MountKind.Proc => Op.Proc(canonical),
            MountKind.BindProc => Op.BindProc(canonical),
            MountKind.Sys => Op.Sys(canonical),
            MountKind.Dev => Op.Dev(canonical),
            MountKind.DevMinimal => Op.DevMinimal(canonical, Config.MountDevPts),
            MountKind.File => Op.File(canonical, request.Content ?? string.Empty),
            _ => throw new InvalidOperationException($"unknown mount kind {request.Kind}"),
        });
        _in.Messages.Debug($"{request.Origin}: {_mountOps[^1].Name} {canonical}");
    }

    /// <summary>Plans the creation of a missing destination; false when it cannot be created and may be skipped.</summary>
    private bool Create(ResolvedPath resolved, bool wantFile, MountRequest request)
    {
        var parent = _view.Lookup(resolved.Existing);
        switch (parent.Origin)
        {
            case ViewOrigin.Host:
                var message = $"{request.Origin}: {request.Destination} does not exist in the container, and {resolved.Existing} there is a host directory (the runtime does not create files on the host)";
                if (request.Required)
                {
                    throw new RuntimeFailureException(message) { Subject = request.Destination };
                }

                _in.Messages.Warning(message + "; skipped");
                return false;
            case ViewOrigin.Image:
                if (!_underlays.Any(u => u.Args[0] == resolved.Existing))
                {
                    _underlays.Add(Op.Underlay(resolved.Existing));
                    _in.Messages.Debug($"{request.Destination} is missing from the image: underlay {resolved.Existing}");
                }

                // Beneath the underlay the directory is a session tmpfs: mark it so nested creations need nothing more.
                _view.AddCreated(resolved.Existing, FileKind.Directory);
                break;
            case ViewOrigin.Session:
                break;
        }

        var path = resolved.Existing;
        for (var i = 0; i < resolved.Missing.Count; i++)
        {
            path = path == "/" ? "/" + resolved.Missing[i] : path + "/" + resolved.Missing[i];
            var last = i == resolved.Missing.Count - 1;
            var kind = last && wantFile ? FileKind.Regular : FileKind.Directory;
            _mountOps.Add(kind == FileKind.Regular ? Op.MkFile(path) : Op.MkDir(path));
            _view.AddCreated(path, kind);
        }

        return true;
    }

    /// <summary>
    /// The working directory candidates, in order: <c>--pwd</c> alone (it must exist); else the current directory when
    /// it exists in the container, the home directory when it does, and <c>/</c>. The starter takes the first it can
    /// enter (a directory can exist and still be closed to the caller).
    /// </summary>
    private List<string> WorkingDirectories(string homeDestination)
    {
        if (Inv.Pwd is { } pwd)
        {
            if (!pwd.StartsWith('/'))
            {
                throw new RuntimeFailureException($"--pwd {pwd}: not an absolute path") { Subject = pwd };
            }

            var r = _view.Resolve(pwd);
            if (!r.Exists || r.Kind != FileKind.Directory)
            {
                throw new RuntimeFailureException($"--pwd {pwd}: no such directory in the container") { Subject = pwd };
            }

            return [r.Canonical];
        }

        var candidates = new List<string>();
        foreach (var (candidate, what) in new[] { (_in.CurrentDirectory, "current directory"), (homeDestination, "home directory") })
        {
            try
            {
                var r = _view.Resolve(candidate);
                if (r.Exists && r.Kind == FileKind.Directory)
                {
                    if (!candidates.Contains(r.Canonical))
                    {
                        candidates.Add(r.Canonical);
                    }

                    continue;
                }
            }
            catch (RuntimeFailureException)
            {
            }
            catch (IOException)
            {
            }

            _in.Messages.Verbose($"The {what} {candidate} does not exist in the container");
        }

        if (!candidates.Contains("/"))
        {
            candidates.Add("/");
        }

        return candidates;
    }

    private (List<string> Command, int? ImmediateExit, bool IsShell) Payload()
    {
        switch (Inv.Action)
        {
            case ActionKind.Run:
                if (IsExecutableInImage("/.singularity.d/runscript"))
                {
                    return (["/.singularity.d/runscript", .. Inv.Arguments], null, false);
                }

                _in.Messages.Info("No runscript found in the container; running /bin/sh");
                return (["/bin/sh", .. Inv.Arguments], null, false);
            case ActionKind.Test:
                if (IsExecutableInImage("/.singularity.d/test"))
                {
                    return (["/.singularity.d/test", .. Inv.Arguments], null, false);
                }

                _in.Messages.Info("No test script found in the container, exiting");
                return ([], 0, false);
            case ActionKind.Shell:
                var shell = Inv.Shell
                    ?? (_in.Environment.TryGetValue("SINGULARITY_SHELL", out var s) && s.Length > 0 ? s : null)
                    ?? (IsExecutableInImage("/bin/bash") ? "/bin/bash" : "/bin/sh");
                return ([shell, .. Inv.Arguments], null, true);
            default:
                return ([.. Inv.Arguments], null, false);
        }
    }

    private (string Name, string Content) ReadEnvFile(string file)
    {
        var path = Path.GetFullPath(file, _in.CurrentDirectory);
        try
        {
            var info = new FileInfo(path);
            if (info.Exists && info.Length > 1024 * 1024)
            {
                throw new RuntimeFailureException($"--env-file {file}: larger than 1 MiB") { Subject = file };
            }

            return (file, File.ReadAllText(path));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new RuntimeFailureException($"--env-file {file}: {e.Message}", e) { Subject = file };
        }
    }
}
