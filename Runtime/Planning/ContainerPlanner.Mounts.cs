using System.Text;
using CvmfsImages.Runtime.Cli;
using CvmfsImages.Runtime.Config;
using CvmfsImages.Runtime.Native;
using CvmfsImages.Runtime.Nvidia;

namespace CvmfsImages.Runtime.Planning;

/// <summary>Which mounts the container gets, from the policy and the request.</summary>
internal sealed partial class ContainerPlanner
{
    /// <summary>How much of the image's /etc/passwd or /etc/group is read (a larger file is cut there).</summary>
    private const int MaxImageFileBytes = 1024 * 1024;

    private (string? Source, string Destination, MountKind? Kind) Home()
    {
        if (Inv.Home is { } spec)
        {
            var specs = BindSpec.ParseList(spec, "--home", allowOptions: false);
            if (specs.Count != 1)
            {
                throw new RuntimeFailureException($"--home '{spec}': expected src[:dst]") { Subject = spec };
            }

            if (!Config.UserBindControl)
            {
                throw new RuntimeFailureException($"--home {spec}: a custom home is a user bind, and 'user bind control = no' in {Config.Path}") { Subject = spec };
            }

            var source = RequireHostPath(specs[0].Source, "--home", directory: true);
            var owner = FileStatus.Of(source).Uid;
            if (owner != _in.User.Uid && _in.User.Uid != 0 && !Config.AllowUnownedHome)
            {
                // As Singularity 2.x: a home others own (a shared /tmp, another user's) would collect this job's
                // dotfiles where others can read or plant them. Apptainer binds it anyway; a site may allow it.
                throw new RuntimeFailureException($"--home {spec}: home directory {source} is not owned by the calling user (it is owned by uid {owner}); use a directory you own, or the site may set 'allow unowned home = yes' in {Config.Path}") { Subject = spec };
            }

            var destination = PathRules.Normalize(specs[0].Destination == specs[0].Source ? Path.GetFullPath(specs[0].Source, _in.CurrentDirectory) : specs[0].Destination);
            return (source, destination, MountKind.Bind);
        }

        var home = PathRules.Normalize(_in.User.Home);
        if (Inv.NoHome || !Config.MountHome)
        {
            _in.Messages.Verbose(Inv.NoHome ? "Not mounting home (--no-home)" : $"Not mounting home ('mount home = no' in {Config.Path})");
            return (null, home, null);
        }

        if (home == "/")
        {
            _in.Messages.Verbose("The home directory is /; not mounting it");
            return (null, home, null);
        }

        if (Inv.Contain)
        {
            return Workdir() is { } w ? (HostSubdirectory(w, "home"), home, MountKind.Bind) : (null, home, MountKind.Tmpfs);
        }

        var real = PathRules.RealPath(home);
        if (real is null || FileStatus.Of(real).Kind != FileKind.Directory)
        {
            _in.Messages.Verbose($"Home directory {home} does not exist on the host; not mounting it");
            return (null, home, null);
        }

        return (real, home, MountKind.Bind);
    }

    private void SystemMounts(List<MountRequest> requests, bool pid, string? homeSource, string homeDestination, MountKind? homeKind)
    {
        if (Config.MountProc)
        {
            requests.Add(new MountRequest(pid ? MountKind.Proc : MountKind.BindProc, "/proc", null, false, false, "mount proc", false));
        }

        if (Config.MountSys)
        {
            requests.Add(new MountRequest(MountKind.Sys, "/sys", null, true, false, "mount sys", false));
        }

        var dev = Config.MountDev;
        if (Inv.Contain && dev == DevMode.Yes)
        {
            dev = DevMode.Minimal;
        }

        if (dev != DevMode.No)
        {
            requests.Add(new MountRequest(dev == DevMode.Yes ? MountKind.Dev : MountKind.DevMinimal, "/dev", null, false, false, "mount dev", false));
        }

        if (homeKind is { } kind)
        {
            requests.Add(new MountRequest(kind, homeDestination, homeSource, false, false, "home", Inv.Home is not null) { IsHome = true });
        }

        if (Config.MountTmp)
        {
            var workdir = Inv.Contain ? Workdir() : null;
            foreach (var (dir, sub) in new[] { ("/tmp", "tmp"), ("/var/tmp", "var_tmp") })
            {
                if (workdir is not null)
                {
                    requests.Add(new MountRequest(MountKind.Bind, dir, HostSubdirectory(workdir, sub), false, false, "--workdir", false));
                }
                else if (Inv.Contain)
                {
                    requests.Add(new MountRequest(MountKind.Tmpfs, dir, null, false, false, "--contain", false));
                }
                else if (_in.HostPathExists(dir))
                {
                    requests.Add(new MountRequest(MountKind.Bind, dir, PathRules.RealPath(dir) ?? dir, false, false, "mount tmp", false));
                }
            }
        }
    }

    private void ConfigBinds(List<MountRequest> requests)
    {
        foreach (var bind in Config.BindPaths)
        {
            var real = PathRules.RealPath(bind.Source);
            if (real is null)
            {
                _in.Messages.Verbose($"bind path {bind.Source}: does not exist on the host; skipped");
                continue;
            }

            var isFile = FileStatus.Of(real).Kind != FileKind.Directory;
            requests.Add(new MountRequest(MountKind.Bind, PathRules.Normalize(bind.Destination), real, bind.ReadOnly, isFile, $"bind path {bind.Source} ({Config.Path})", false));
        }
    }

    private void UserBinds(List<MountRequest> requests)
    {
        if (Inv.Binds.Count == 0)
        {
            return;
        }

        if (!Config.UserBindControl)
        {
            _in.Messages.Warning($"ignoring the requested binds: 'user bind control = no' in {Config.Path}");
            return;
        }

        foreach (var bind in Inv.Binds)
        {
            var real = RequireHostPath(bind.Source, bind.Origin, directory: null);
            var isFile = FileStatus.Of(real).Kind != FileKind.Directory;
            var destination = bind.Destination == bind.Source ? Path.GetFullPath(bind.Source, _in.CurrentDirectory) : bind.Destination;
            requests.Add(new MountRequest(MountKind.Bind, PathRules.Normalize(destination), real, bind.ReadOnly, isFile, $"{bind.Origin} {bind.Source}", true));
        }
    }

    private void Scratch(List<MountRequest> requests)
    {
        var workdir = Inv.Scratch.Count > 0 ? Workdir() : null;
        foreach (var dir in Inv.Scratch)
        {
            if (!dir.StartsWith('/'))
            {
                throw new RuntimeFailureException($"--scratch {dir}: not an absolute path") { Subject = dir };
            }

            var destination = PathRules.Normalize(dir);
            if (workdir is not null)
            {
                var name = "scratch/" + destination.TrimStart('/').Replace('/', '_');
                requests.Add(new MountRequest(MountKind.Bind, destination, HostSubdirectory(workdir, name), false, false, "--scratch", true));
            }
            else
            {
                requests.Add(new MountRequest(MountKind.Tmpfs, destination, null, false, false, "--scratch", true));
            }
        }
    }

    private void Nvidia(List<MountRequest> requests)
    {
        if (!Inv.Nv && !Config.AlwaysUseNv)
        {
            return;
        }

        var files = _in.NvidiaProbe();
        if (files is null)
        {
            _in.Messages.Warning($"--nv: no {NvidiaLibraries.ListFileName} found next to {Config.Path} or the executable; no NVIDIA files are bound");
            return;
        }

        if (!files.Libraries.Any(l => l.Key.StartsWith("libcuda.so", StringComparison.Ordinal) || l.Key.StartsWith("libnvidia-ml.so", StringComparison.Ordinal)))
        {
            _in.Messages.Warning("--nv: no NVIDIA driver found on this host (ldconfig -p lists no libcuda.so or libnvidia-ml.so); running without GPU support");
        }

        foreach (var (name, path) in files.Libraries)
        {
            if (PathRules.RealPath(path) is { } real)
            {
                requests.Add(new MountRequest(MountKind.Bind, "/.singularity.d/libs/" + name, real, true, true, "--nv", false));
            }
        }

        foreach (var (name, path) in files.Binaries)
        {
            if (PathRules.RealPath(path) is { } real)
            {
                requests.Add(new MountRequest(MountKind.Bind, "/usr/bin/" + name, real, true, true, "--nv", false));
            }
        }

        var hostDev = requests.Any(r => r.Kind == MountKind.Dev);
        if (!hostDev)
        {
            foreach (var device in files.Devices)
            {
                var isFile = FileStatus.Of(device).Kind != FileKind.Directory;
                requests.Add(new MountRequest(MountKind.Bind, device, device, false, isFile, "--nv", false));
            }
        }
    }

    private void IdentityFiles(List<MountRequest> requests, string homeDestination)
    {
        var user = _in.User;
        if (Config.ConfigPasswd)
        {
            var shell = IsExecutableInImage(user.Shell) ? user.Shell : "/bin/sh";
            var line = $"{user.Name}:x:{user.Uid}:{user.Gid}:{user.Gecos}:{homeDestination}:{shell}";
            requests.Add(new MountRequest(MountKind.File, "/etc/passwd", null, true, true, "config passwd", false)
            {
                Content = AppendEntry(ReadImageFile("/etc/passwd"), line, user.Name),
            });
        }

        if (Config.ConfigGroup)
        {
            // The caller is listed as a member, as Singularity writes it (`id -Gn`, `groups` and tools that read members).
            var line = $"{user.GroupName}:x:{user.Gid}:{user.Name}";
            requests.Add(new MountRequest(MountKind.File, "/etc/group", null, true, true, "config group", false)
            {
                Content = AppendEntry(ReadImageFile("/etc/group"), line, user.GroupName),
            });
        }

        if (Config.ConfigResolvConf && _in.HostPathExists("/etc/resolv.conf") && PathRules.RealPath("/etc/resolv.conf") is { } resolv)
        {
            requests.Add(new MountRequest(MountKind.Bind, "/etc/resolv.conf", resolv, true, true, "config resolv_conf", false));
        }
    }

    /// <summary>The image's file with any entry of the same name dropped and <paramref name="line"/> appended.</summary>
    private static string AppendEntry(string? existing, string line, string name)
    {
        var text = new StringBuilder();
        foreach (var l in (existing ?? string.Empty).Split('\n'))
        {
            if (l.Length == 0 || l.StartsWith(name + ":", StringComparison.Ordinal))
            {
                continue;
            }

            text.Append(l).Append('\n');
        }

        return text.Append(line).Append('\n').ToString();
    }

    /// <summary>A small file of the image (read through the in-root resolution), or null when absent.</summary>
    private string? ReadImageFile(string path)
    {
        var resolved = _view.Resolve(path);
        if (!resolved.Exists || resolved.Kind != FileKind.Regular)
        {
            return null;
        }

        var host = _view.ImageRoot + resolved.Existing;
        try
        {
            // Sized to the file (at most 1 MiB): a fixed 1 MiB buffer cost a large-object allocation on every job.
            using var handle = File.OpenHandle(host, FileMode.Open, FileAccess.Read, FileShare.Read);
            var buffer = new byte[(int)Math.Min(RandomAccess.GetLength(handle), MaxImageFileBytes)];
            var total = 0;
            int n;
            while (total < buffer.Length && (n = RandomAccess.Read(handle, buffer.AsSpan(total), total)) > 0)
            {
                total += n;
            }

            return Encoding.UTF8.GetString(buffer, 0, total);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            _in.Messages.Warning($"cannot read {path} in the image: {e.Message}");
            return null;
        }
    }

    private bool IsExecutableInImage(string path)
    {
        try
        {
            var resolved = _view.Resolve(path);
            return resolved.Exists && resolved.Kind == FileKind.Regular;
        }
        catch (RuntimeFailureException)
        {
            return false;
        }
    }

    private string RequireHostPath(string source, string origin, bool? directory)
    {
        var absolute = Path.GetFullPath(source, _in.CurrentDirectory);
        var real = PathRules.RealPath(absolute)
            ?? throw new RuntimeFailureException($"{origin}: source {source} does not exist on the host") { Subject = source };
        var kind = FileStatus.Of(real).Kind;
        if (directory == true && kind != FileKind.Directory)
        {
            throw new RuntimeFailureException($"{origin}: source {source} is not a directory") { Subject = source };
        }

        return real;
    }
}
