using CvmfsImages.Runtime.Native;

namespace CvmfsImages.Runtime.Planning;

/// <summary>
/// The planned container's file tree as seen from inside: the image, overlaid by the mounts planned so far and the
/// paths the runtime will create. Paths are resolved like <c>openat2(RESOLVE_IN_ROOT)</c>: a symlink's target is
/// interpreted inside the container (absolute targets restart at the container's root, <c>..</c> stops there), so a
/// link in the image can never lead to a host path. Only the components of the asked path are looked at (one
/// <c>lstat</c> each); nothing is listed or globbed. The starter re-resolves every destination when it mounts.
/// </summary>
internal sealed class ContainerView
{
    private const int MaxLinks = 40;
    private readonly List<(PlannedMount Mount, int Sequence)> _mounts = [];
    private readonly Dictionary<string, (FileKind Kind, int Sequence)> _created = new(StringComparer.Ordinal);
    private int _sequence;

    public ContainerView(string imageRoot)
    {
        ArgumentException.ThrowIfNullOrEmpty(imageRoot);
        ImageRoot = imageRoot.TrimEnd('/');
    }

    /// <summary>The image directory on the host (canonical).</summary>
    public string ImageRoot { get; }

    public IReadOnlyList<PlannedMount> Mounts => [.. _mounts.Select(m => m.Mount)];

    public void AddMount(PlannedMount mount) => _mounts.Add((mount, ++_sequence));

    /// <summary>Records a path the starter will create (MKDIR/MKFILE, or an underlaid directory, which becomes writable).</summary>
    public void AddCreated(string canonicalPath, FileKind kind) => _created[canonicalPath] = (kind, ++_sequence);

    /// <summary>What <paramref name="canonicalPath"/> (no links in its parents) is in the planned container.</summary>
    public ViewEntry Lookup(string canonicalPath)
    {
        // The mount that covers the path: the deepest destination; among equal ones, the latest.
        PlannedMount? cover = null;
        var coverSequence = 0;
        foreach (var (m, sequence) in _mounts)
        {
            if (PathRules.IsAtOrUnder(canonicalPath, m.Destination) && (cover is null || m.Destination.Length >= cover.Destination.Length))
            {
                cover = m;
                coverSequence = sequence;
            }
        }

        // A created path counts unless a mount placed later covers it (a MKDIR'd destination is hidden by its mount).
        if (_created.TryGetValue(canonicalPath, out var created) && created.Sequence > coverSequence)
        {
            return new ViewEntry(created.Kind, null, ViewOrigin.Session, null);
        }

        if (cover is null)
        {
            return FromHost(ImageRoot + canonicalPath, ViewOrigin.Image);
        }

        // The part below the mount point ("" at the mount point itself, else "/a/b"). Nothing is mounted at "/".
        var rest = canonicalPath[cover.Destination.Length..];

        switch (cover.Kind)
        {
            case MountKind.Bind:
                return FromHost(cover.Source + rest, ViewOrigin.Host);
            case MountKind.Tmpfs:
            case MountKind.DevMinimal:
                return rest.Length == 0
                    ? new ViewEntry(FileKind.Directory, null, ViewOrigin.Session, null)
                    : new ViewEntry(FileKind.Missing, null, ViewOrigin.Session, null);
            case MountKind.File:
                return rest.Length == 0
                    ? new ViewEntry(FileKind.Regular, null, ViewOrigin.Session, null)
                    : new ViewEntry(FileKind.Missing, null, ViewOrigin.Session, null);
            case MountKind.Proc:
            case MountKind.BindProc:
                return FromHost("/proc" + rest, ViewOrigin.Host);
            case MountKind.Sys:
                return FromHost("/sys" + rest, ViewOrigin.Host);
            case MountKind.Dev:
                return FromHost("/dev" + rest, ViewOrigin.Host);
            default:
                throw new InvalidOperationException($"unknown mount kind {cover.Kind}");
        }
    }

    /// <summary>
    /// Resolves <paramref name="path"/> (absolute, inside the container) following links within the container.
    /// </summary>
    /// <exception cref="RuntimeFailureException">a component that is not a directory, a link loop, or a path that
    /// continues with <c>..</c> through a missing directory.</exception>
    public ResolvedPath Resolve(string path)
    {
        var queue = new LinkedList<string>(PathRules.Components(path));
        var resolved = new List<string>();
        var links = 0;
        while (queue.First is { } node)
        {
            var component = node.Value;
            queue.RemoveFirst();
            if (component == "..")
            {
                if (resolved.Count > 0)
                {
                    resolved.RemoveAt(resolved.Count - 1);
                }

                continue;
            }

            var candidate = PathRules.Join([.. resolved, component]);
            var entry = Lookup(candidate);
            switch (entry.Kind)
            {
                case FileKind.Missing:
                    var missing = new List<string> { component };
                    foreach (var c in queue)
                    {
                        if (c == "..")
                        {
                            throw new RuntimeFailureException($"{path}: '..' after the missing directory {candidate} in the container is refused") { Subject = path };
                        }

                        missing.Add(c);
                    }

                    return new ResolvedPath(PathRules.Join(resolved), missing, FileKind.Missing);
                case FileKind.Symlink:
                    if (++links > MaxLinks)
                    {
                        throw new RuntimeFailureException($"{path}: too many levels of symbolic links in the container") { Subject = path };
                    }

                    var target = entry.LinkTarget ?? string.Empty;
                    if (target.StartsWith('/'))
                    {
                        resolved.Clear();
                    }

                    var parts = PathRules.Components(target);
                    for (var i = parts.Count - 1; i >= 0; i--)
                    {
                        queue.AddFirst(parts[i]);
                    }

                    continue;
                case FileKind.Directory:
                    resolved.Add(component);
                    continue;
                default:
                    if (queue.Count > 0 && queue.Any(c => c != ".."))
                    {
                        throw new RuntimeFailureException($"{path}: {candidate} is not a directory in the container") { Subject = path };
                    }

                    resolved.Add(component);
                    if (queue.Count > 0)
                    {
                        throw new RuntimeFailureException($"{path}: {candidate} is not a directory in the container") { Subject = path };
                    }

                    return new ResolvedPath(PathRules.Join(resolved), [], entry.Kind);
            }
        }

        return new ResolvedPath(PathRules.Join(resolved), [], FileKind.Directory);
    }

    private static ViewEntry FromHost(string hostPath, ViewOrigin origin)
    {
        var status = FileStatus.Of(hostPath);
        string? target = null;
        if (status.Kind == FileKind.Symlink)
        {
            target = new FileInfo(hostPath).LinkTarget ?? string.Empty;
        }

        return new ViewEntry(status.Kind, target, origin, hostPath);
    }
}
