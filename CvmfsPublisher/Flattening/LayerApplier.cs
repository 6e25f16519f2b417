using System.Buffers;
using System.Formats.Tar;

namespace CvmfsImages.Publisher.Flattening;

/// <summary>
/// Applies one layer's tar stream onto the tree, entry by entry, with OCI semantics. Each rule has its comment;
/// anything the tree writer refuses becomes a <see cref="LayerException"/> naming the layer and the entry.
/// </summary>
internal sealed class LayerApplier
{
    private const string WhiteoutPrefix = ".wh.";
    private const string OpaqueMarker = ".wh..wh..opq";
    private const int ProgressEvery = 2000;

    private readonly TreeWriter _tree;
    private readonly FlattenCounters _counters;
    private readonly byte[] _buffer;

    public LayerApplier(TreeWriter tree, FlattenCounters counters, byte[] buffer)
    {
        _tree = tree;
        _counters = counters;
        _buffer = buffer;
    }

    /// <summary>Applies the tar in <paramref name="tar"/> (read to its end marker).</summary>
    public void Apply(Stream tar, string layerDigest, Action<long>? progress, CancellationToken cancellationToken)
    {
        _tree.BeginLayer();
        using var reader = new TarReader(tar, leaveOpen: true);
        string? last = null;
        long entries = 0;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            TarEntry? entry;
            try
            {
                entry = reader.GetNextEntry(copyData: false);
            }
            catch (Exception ex) when (ex is InvalidDataException or EndOfStreamException or FormatException or NotSupportedException or ArgumentException or OverflowException or InvalidOperationException)
            {
                var where = last is null ? "at its first entry" : $"after entry '{last}'";
                throw new LayerException($"Layer {layerDigest} is not a readable tar {where}: {ex.Message}", layerDigest, null, ex);
            }

            if (entry is null)
            {
                break;
            }

            last = entry.Name;
            try
            {
                _tree.BeginEntry();
                ApplyEntry(entry);
            }
            catch (EntryRefusedException ex)
            {
                throw new LayerException($"Layer {layerDigest}: entry '{entry.Name}' refused: {ex.Message}", layerDigest, entry.Name, ex);
            }
            catch (Exception ex) when (ex is InvalidDataException or EndOfStreamException)
            {
                throw new LayerException($"Layer {layerDigest}: entry '{entry.Name}' could not be read (truncated or corrupt layer): {ex.Message}", layerDigest, entry.Name, ex);
            }
            catch (IOException ex)
            {
                throw new IOException($"Layer {layerDigest}: entry '{entry.Name}': {ex.Message}", ex);
            }

            if (++entries % ProgressEvery == 0)
            {
                progress?.Invoke(entries);
            }
        }

        progress?.Invoke(entries);
    }

    private void ApplyEntry(TarEntry entry)
    {
        var name = entry.Name;
        SparseMap? sparse = null;
        if (entry is PaxTarEntry pax)
        {
            foreach (var key in pax.ExtendedAttributes.Keys)
            {
                // Extended attributes (capabilities, SELinux labels, ACLs) are never applied: counted only.
                if (key.StartsWith("SCHILY.xattr.", StringComparison.Ordinal) || key.StartsWith("LIBARCHIVE.xattr.", StringComparison.Ordinal))
                {
                    _counters.SkippedXattrs++;
                }
            }

            sparse = SparseMap.Detect(pax);
            if (sparse is not null && pax.ExtendedAttributes.TryGetValue("GNU.sparse.name", out var realName))
            {
                name = realName;
            }
        }

        if (entry.EntryType == TarEntryType.GlobalExtendedAttributes)
        {
            return; // archive-wide metadata, not a file
        }

        // Names are cleaned lexically; '..' above the root is refused, a leading '/' means the image root.
        var parts = EntryPath.Clean(name);
        if (parts.Count == 0)
        {
            // The root itself ("./"): only a directory entry makes sense, and it sets the root's mode and mtime.
            // Anything else would turn the root into a file or a link.
            if (entry.EntryType != TarEntryType.Directory)
            {
                throw new EntryRefusedException($"a {entry.EntryType} entry names the image root itself; the root can only be a directory");
            }

            var (s, ns) = Time(entry);
            _tree.SetRootMetadata(ModeRules.Directory((uint)entry.Mode), s, ns);
            return;
        }

        var leaf = parts[^1];
        for (var i = 0; i < parts.Count - 1; i++)
        {
            if (parts[i].StartsWith(WhiteoutPrefix + WhiteoutPrefix, StringComparison.Ordinal))
            {
                return; // inside an AUFS bookkeeping directory (".wh..wh.plnk/..."): never content
            }
        }

        if (leaf.StartsWith(WhiteoutPrefix, StringComparison.Ordinal))
        {
            ApplyWhiteout(parts, leaf);
            return;
        }

        switch (entry.EntryType)
        {
            case TarEntryType.Directory:
            {
                var dir = _tree.ResolveDirectory(parts, parts.Count - 1, create: true, out var parent);
                var (s, ns) = Time(entry);
                _tree.MakeDirectory(dir, leaf, EntryPath.Join(parent, leaf), ModeRules.Directory((uint)entry.Mode), s, ns);
                break;
            }

            case TarEntryType.RegularFile or TarEntryType.V7RegularFile or TarEntryType.ContiguousFile:
                WriteFile(entry, parts, leaf, sparse);
                break;

            case TarEntryType.SymbolicLink:
            {
                // The target is written as it is and never resolved: it only means something inside the container.
                var dir = _tree.ResolveDirectory(parts, parts.Count - 1, create: true, out var parent);
                var (s, ns) = Time(entry);
                _tree.MakeSymlink(dir, leaf, EntryPath.Join(parent, leaf), entry.LinkName, s, ns);
                _counters.Symlinks++;
                break;
            }

            case TarEntryType.HardLink:
                MakeHardlink(entry, parts, leaf);
                break;

            case TarEntryType.CharacterDevice or TarEntryType.BlockDevice or TarEntryType.Fifo:
            {
                // Not created (no privilege to, and no business for a CVMFS tree); what lower layers had at that
                // name is gone, as the layer replaced it.
                _counters.SkippedSpecialFiles++;
                var dir = _tree.ResolveDirectory(parts, parts.Count - 1, create: false, out var parent);
                if (dir >= 0)
                {
                    _tree.Remove(dir, leaf, EntryPath.Join(parent, leaf));
                }

                break;
            }

            default:
                throw new EntryRefusedException($"unsupported tar entry type {entry.EntryType} ('{(char)entry.EntryType}')");
        }
    }

    private void ApplyWhiteout(List<string> parts, string leaf)
    {
        if (leaf == OpaqueMarker)
        {
            // Opaque directory: lower layers' content of the directory goes; what this layer puts there stays,
            // whether its entries come before or after the marker.
            var dir = _tree.ResolveDirectory(parts, parts.Count - 1, create: true, out var physical);
            _tree.Touch(physical);
            _tree.MakeOpaque(dir, physical);
            return;
        }

        if (leaf.StartsWith(WhiteoutPrefix + WhiteoutPrefix, StringComparison.Ordinal))
        {
            return; // other ".wh..wh." names are AUFS bookkeeping (hardlink dirs, metadata): never content
        }

        var target = leaf[WhiteoutPrefix.Length..];
        if (target is "" or "." or "..")
        {
            throw new EntryRefusedException($"whiteout of '{target}' is meaningless");
        }

        var parent = _tree.ResolveDirectory(parts, parts.Count - 1, create: false, out var parentPath);
        if (parent >= 0)
        {
            _tree.Whiteout(parent, target, EntryPath.Join(parentPath, target));
        }
    }

    private void WriteFile(TarEntry entry, List<string> parts, string leaf, SparseMap? sparse)
    {
        var dir = _tree.ResolveDirectory(parts, parts.Count - 1, create: true, out var parent);
        var physical = EntryPath.Join(parent, leaf);
        using var file = _tree.CreateFile(dir, leaf, physical, ModeRules.File((uint)entry.Mode));
        var data = entry.DataStream;
        long written;
        if (sparse is null)
        {
            written = Copy(data, file, 0, entry.Length);
        }
        else
        {
            if (data is null && entry.Length > 0)
            {
                throw new EntryRefusedException("a sparse entry without data");
            }

            var stored = entry.Length;
            if (sparse.MapInData)
            {
                stored -= sparse.ReadMapFromData(data!, entry.Length);
            }

            written = 0;
            foreach (var (offset, length) in sparse.Segments)
            {
                written += Copy(data, file, offset, length);
            }

            file.Truncate(sparse.RealSize);
        }

        var (s, ns) = Time(entry);
        file.SetTimes(s, ns);
        _counters.Files++;
        _counters.Bytes += written;
    }

    private long Copy(Stream? data, WritableFile file, long offset, long length)
    {
        if (length == 0)
        {
            return 0;
        }

        if (data is null)
        {
            throw new EndOfStreamException("the entry has no data");
        }

        var remaining = length;
        while (remaining > 0)
        {
            var n = data.Read(_buffer, 0, (int)Math.Min(_buffer.Length, remaining));
            if (n == 0)
            {
                throw new EndOfStreamException($"the layer ends {remaining} bytes before the end of this file");
            }

            file.Write(_buffer.AsSpan(0, n), offset);
            offset += n;
            remaining -= n;
        }

        return length;
    }

    private void MakeHardlink(TarEntry entry, List<string> parts, string leaf)
    {
        // The target must already exist in the tree (this or an earlier layer), resolved inside the root like any
        // name; '..' above the root is refused.
        var targetParts = EntryPath.Clean(entry.LinkName);
        if (targetParts.Count == 0)
        {
            throw new EntryRefusedException($"hard link '{entry.Name}' -> '{entry.LinkName}' names the image root");
        }

        var targetDir = _tree.ResolveDirectory(targetParts, targetParts.Count - 1, create: false, out _);
        var dir = _tree.ResolveDirectory(parts, parts.Count - 1, create: true, out var parent);
        if (targetDir < 0 || !_tree.MakeHardlink(targetDir, targetParts[^1], dir, leaf, EntryPath.Join(parent, leaf)))
        {
            throw new EntryRefusedException(
                $"hard link '{entry.Name}' -> '{entry.LinkName}': the target does not exist in this or an earlier layer");
        }

        _counters.Hardlinks++;
    }

    private static (long Seconds, long Nanoseconds) Time(TarEntry entry)
    {
        var ticks = entry.ModificationTime.UtcTicks - DateTime.UnixEpoch.Ticks;
        var seconds = Math.DivRem(ticks, TimeSpan.TicksPerSecond, out var rest);
        if (rest < 0)
        {
            seconds--;
            rest += TimeSpan.TicksPerSecond;
        }

        return (seconds, rest * 100);
    }
}
