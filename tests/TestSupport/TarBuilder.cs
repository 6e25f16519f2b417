using System.Formats.Tar;
using System.Globalization;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;

namespace CvmfsImages.TestSupport;

/// <summary>
/// Builds layer tars in test code, including hostile ones: any name (absolute, with <c>..</c>), any link target,
/// whiteouts, devices, xattrs, GNU sparse files, long names, and raw bytes spliced between entries. Entries are
/// written in the order they are added. Output as plain tar, gzip or zstd (the <c>zstd</c> tool).
/// </summary>
public sealed partial class TarBuilder
{
    private readonly List<Action<Stream, TarWriter>> _steps = [];

    /// <param name="format">The header format for ordinary entries (PAX by default; GNU for GNU long-name headers).</param>
    public TarBuilder(TarEntryFormat format = TarEntryFormat.Pax)
    {
        Format = format;
    }

    /// <summary>The format of entries added by the helpers.</summary>
    public TarEntryFormat Format { get; }

    /// <summary>The mtime of entries that do not give one.</summary>
    public DateTimeOffset DefaultTime { get; set; } = new(2021, 3, 4, 5, 6, 7, TimeSpan.Zero);

    public TarBuilder Directory(string name, UnixFileMode mode = (UnixFileMode)0x1ED, DateTimeOffset? mtime = null) =>
        Add(TarEntryType.Directory, name, mode, mtime);

    public TarBuilder File(string name, string content, UnixFileMode mode = (UnixFileMode)0x1A4, DateTimeOffset? mtime = null) =>
        File(name, Encoding.UTF8.GetBytes(content), mode, mtime);

    public TarBuilder File(string name, byte[] content, UnixFileMode mode = (UnixFileMode)0x1A4, DateTimeOffset? mtime = null) =>
        Add(TarEntryType.RegularFile, name, mode, mtime, content);

    public TarBuilder Symlink(string name, string target, DateTimeOffset? mtime = null) =>
        Add(TarEntryType.SymbolicLink, name, (UnixFileMode)0x1FF, mtime, linkName: target);

    public TarBuilder Hardlink(string name, string target) =>
        Add(TarEntryType.HardLink, name, (UnixFileMode)0x1A4, null, linkName: target);

    public TarBuilder Fifo(string name) => Add(TarEntryType.Fifo, name, (UnixFileMode)0x1A4, null);

    public TarBuilder CharacterDevice(string name, int major = 1, int minor = 3) =>
        Step((_, w) =>
        {
            var e = Create(TarEntryType.CharacterDevice, name);
            SetDevice(e, major, minor);
            w.WriteEntry(e);
        });

    public TarBuilder BlockDevice(string name, int major = 8, int minor = 0) =>
        Step((_, w) =>
        {
            var e = Create(TarEntryType.BlockDevice, name);
            SetDevice(e, major, minor);
            w.WriteEntry(e);
        });

    /// <summary>An OCI whiteout for <paramref name="path"/> (<c>dir/.wh.name</c>).</summary>
    public TarBuilder Whiteout(string path)
    {
        var slash = path.LastIndexOf('/');
        var name = slash < 0 ? ".wh." + path : path[..(slash + 1)] + ".wh." + path[(slash + 1)..];
        return File(name, string.Empty);
    }

    /// <summary>An OCI opaque marker in <paramref name="directory"/> (<c>dir/.wh..wh..opq</c>).</summary>
    public TarBuilder Opaque(string directory) => File(directory.TrimEnd('/') + "/.wh..wh..opq", string.Empty);

    /// <summary>A PAX file carrying extended attributes (<c>SCHILY.xattr.KEY</c>).</summary>
    public TarBuilder FileWithXattrs(string name, string content, params (string Key, string Value)[] xattrs)
    {
        var attributes = xattrs.ToDictionary(x => "SCHILY.xattr." + x.Key, x => x.Value);
        return Step((_, w) =>
        {
            var e = new PaxTarEntry(TarEntryType.RegularFile, name, attributes)
            {
                Mode = (UnixFileMode)0x1A4,
                ModificationTime = DefaultTime,
                DataStream = new MemoryStream(Encoding.UTF8.GetBytes(content)),
            };
            w.WriteEntry(e);
        });
    }

    /// <summary>Any entry built by the test.</summary>
    public TarBuilder Entry(TarEntry entry) => Step((_, w) => w.WriteEntry(entry));

    /// <summary>Raw bytes written between entries (a hostile header, garbage).</summary>
    public TarBuilder Raw(byte[] bytes) => Step((s, _) => s.Write(bytes));

    /// <summary>The tar, with its end-of-archive marker.</summary>
    public byte[] ToTar()
    {
        using var buffer = new MemoryStream();
        using (var writer = new TarWriter(buffer, Format, leaveOpen: true))
        {
            foreach (var step in _steps)
            {
                step(buffer, writer);
            }
        }

        return buffer.ToArray();
    }

    /// <summary>The tar, gzip-compressed.</summary>
    public byte[] ToGzip() => Gzip(ToTar());

    /// <summary>The tar, zstd-compressed with the <c>zstd</c> tool (skips the test when it is missing, fails under CI).</summary>
    public byte[] ToZstd() => Zstd(ToTar());

    public static byte[] Gzip(byte[] data)
    {
        using var buffer = new MemoryStream();
        using (var gzip = new GZipStream(buffer, CompressionLevel.Fastest, leaveOpen: true))
        {
            gzip.Write(data);
        }

        return buffer.ToArray();
    }

    public static byte[] Zstd(byte[] data)
    {
        var zstd = RequiredTool.Require("zstd", "zstd");
        using var process = new System.Diagnostics.Process();
        process.StartInfo = new System.Diagnostics.ProcessStartInfo(zstd, ["-q", "-c", "-"])
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        process.Start();
        using var output = new MemoryStream();
        var copy = process.StandardOutput.BaseStream.CopyToAsync(output);
        process.StandardInput.BaseStream.Write(data);
        process.StandardInput.Close();
        copy.GetAwaiter().GetResult();
        process.WaitForExit();
        return process.ExitCode == 0 ? output.ToArray() : throw new InvalidOperationException($"zstd exited with {process.ExitCode}");
    }

    /// <summary><c>sha256:&lt;hex&gt;</c> of <paramref name="data"/>.</summary>
    public static string Digest(byte[] data) => "sha256:" + Convert.ToHexStringLower(SHA256.HashData(data));

    private TarBuilder Add(TarEntryType type, string name, UnixFileMode mode, DateTimeOffset? mtime, byte[]? content = null, string? linkName = null) =>
        Step((_, w) =>
        {
            var e = Create(type, name);
            e.Mode = mode;
            e.ModificationTime = mtime ?? DefaultTime;
            if (linkName is not null)
            {
                e.LinkName = linkName;
            }

            if (content is not null)
            {
                e.DataStream = new MemoryStream(content);
            }

            w.WriteEntry(e);
        });

    private TarEntry Create(TarEntryType type, string name) => Format switch
    {
        TarEntryFormat.Gnu => new GnuTarEntry(type, name) { ModificationTime = DefaultTime },
        TarEntryFormat.Ustar => new UstarTarEntry(type, name) { ModificationTime = DefaultTime },
        TarEntryFormat.V7 => new V7TarEntry(type, name) { ModificationTime = DefaultTime },
        _ => new PaxTarEntry(type, name) { ModificationTime = DefaultTime },
    };

    private static void SetDevice(TarEntry entry, int major, int minor)
    {
        if (entry is PosixTarEntry posix)
        {
            posix.DeviceMajor = major;
            posix.DeviceMinor = minor;
        }
    }

    private TarBuilder Step(Action<Stream, TarWriter> step)
    {
        _steps.Add(step);
        return this;
    }

    private static string Decimal(long value) => value.ToString(CultureInfo.InvariantCulture);
}
