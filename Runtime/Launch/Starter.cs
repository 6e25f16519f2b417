using System.Runtime.InteropServices;
using System.Text;
using CvmfsImages.Runtime.Native;
using CvmfsImages.Runtime.Planning;
using Microsoft.Win32.SafeHandles;

namespace CvmfsImages.Runtime.Launch;

/// <summary>
/// Finds the C starter next to the front end's own executable and replaces this process with it (<c>execve</c>, same
/// pid: signals sent to <c>singularity</c> reach the starter and then the payload). The op list goes over an
/// inherited memfd (<c>--ops-fd</c>), not argv, so ENV values and paths are not world-readable in
/// <c>/proc/&lt;pid&gt;/cmdline</c>; the starter gets an EMPTY environment, so nothing from the caller's environment
/// reaches its dynamic loader.
/// </summary>
internal static class Starter
{
    public const string FileName = "starter";

    /// <summary>The setuid build (<c>install --setuid</c>), for nodes without unprivileged user namespaces.</summary>
    public const string SetuidFileName = "starter-suid";

    private const uint SetuidBit = 0x800;

    /// <summary>
    /// The starter to run: the setuid one when it is installed (root-owned, setuid, not writable by group or others),
    /// the site allows it (<c>allow setuid = yes</c>) and the caller is not root (root needs no setuid help); else the
    /// plain one. The setuid starter itself still prefers unprivileged user namespaces: it probes them first, as the
    /// caller, and when they work it drops root before reading the op list (Runtime/README.md, "Security model of the
    /// setuid mode"). The front end cannot make that probe itself without forking.
    /// </summary>
    /// <exception cref="RuntimeFailureException">the plain starter is missing or unsafe.</exception>
    public static string Choose(uint callerUid, bool allowSetuid, Diagnostics.Messages messages)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var plain = Locate(callerUid);
        if (!allowSetuid || callerUid == 0)
        {
            return plain;
        }

        var setuid = Path.Combine(Path.GetDirectoryName(plain)!, SetuidFileName);
        var status = FileStatus.Of(setuid);
        if (!status.Exists)
        {
            return plain;
        }

        if (status.Kind != FileKind.Regular || status.Uid != 0 || (status.Mode & SetuidBit) == 0 || status.IsWritableByOthers)
        {
            messages.Verbose($"not using {setuid}: it is not a root-owned setuid file that only root can write");
            return plain;
        }

        messages.Debug($"allow setuid = yes and {setuid} is installed: using it (it runs without root when unprivileged user namespaces work)");
        return setuid;
    }

    /// <summary>The starter's path, checked: a regular file owned by root or the caller, not writable by group or others,
    /// in a directory with the same properties.</summary>
    /// <exception cref="RuntimeFailureException">missing or unsafe.</exception>
    public static string Locate(uint callerUid)
    {
        var exe = System.Environment.ProcessPath
            ?? throw new RuntimeFailureException("cannot find the runtime's own executable (no /proc/self/exe?)");
        var directory = Path.GetDirectoryName(PathRules.RealPath(exe) ?? exe)!;
        var path = Path.Combine(directory, FileName);
        var status = FileStatus.Of(path);
        if (status.Kind != FileKind.Regular)
        {
            throw new RuntimeFailureException($"starter {path}: {(status.Exists ? "not a regular file" : "missing (install the runtime with deploy/install-worker-node.sh)")}") { Subject = path };
        }

        CheckOwner(path, status, callerUid);
        CheckOwner(directory, FileStatus.Of(directory), callerUid);
        return path;
    }

    private static void CheckOwner(string path, FileStatus status, uint callerUid)
    {
        if (status.Uid != 0 && status.Uid != callerUid)
        {
            throw new RuntimeFailureException($"starter {path}: owned by uid {status.Uid}, neither root nor the caller; refusing to run it") { Subject = path };
        }

        if (status.IsWritableByOthers)
        {
            throw new RuntimeFailureException($"starter {path}: writable by group or others; refusing to run it") { Subject = path };
        }
    }

    /// <summary>The op words, each terminated by a NUL byte (the <c>--ops-fd</c> format).</summary>
    public static byte[] Encode(IReadOnlyList<Op> ops)
    {
        var words = Op.ToWords(ops);
        var buffer = new MemoryStream();
        foreach (var word in words)
        {
            if (word.Contains('\0', StringComparison.Ordinal))
            {
                throw new RuntimeFailureException($"a value contains a NUL character: '{word.Replace("\0", "\\0", StringComparison.Ordinal)}'");
            }

            var bytes = Encoding.UTF8.GetBytes(word);
            buffer.Write(bytes);
            buffer.WriteByte(0);
        }

        return buffer.ToArray();
    }

    /// <summary>The starter's argv: <c>starter MAGIC --ops-fd N</c> (the ops themselves are on fd N).</summary>
    public static List<string> Argv(string starterPath, int opsFd) =>
        [starterPath, Op.ProtocolMagic, "--ops-fd", opsFd.ToString(System.Globalization.CultureInfo.InvariantCulture)];

    /// <summary>Replaces this process with the starter. Returns only on failure (the exception says why).</summary>
    public static unsafe RuntimeFailureException Exec(string starterPath, IReadOnlyList<Op> ops)
    {
        ArgumentNullException.ThrowIfNull(ops);
        var payload = Encode(ops);

        // Not MFD_CLOEXEC: the starter inherits it. pwrite at offset 0 leaves the file offset at 0 for its reads.
        var fd = Libc.MemfdCreate("singularity-ops", 0);
        if (fd < 0)
        {
            return new RuntimeFailureException($"memfd_create: {Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())}");
        }

        using (var handle = new SafeFileHandle(fd, ownsHandle: false))
        {
            RandomAccess.Write(handle, payload, 0);
        }

        var argv = Argv(starterPath, fd);
        // Nothing to flush: messages are flushed as they are written, and only --version, help and inspect (which
        // never get here) write to stdout. Touching Console here would set it up for nothing on every job.
        var pointers = new nint[argv.Count + 1];
        try
        {
            for (var i = 0; i < argv.Count; i++)
            {
                pointers[i] = Marshal.StringToCoTaskMemUTF8(argv[i]);
            }

            byte* empty = null;
            fixed (nint* argvPointer = pointers)
            {
                Libc.Execve((byte*)pointers[0], (byte**)argvPointer, &empty);
            }

            var errno = Marshal.GetLastPInvokeError();
            return new RuntimeFailureException($"cannot execute the starter {starterPath}: {Marshal.GetPInvokeErrorMessage(errno)}") { Subject = starterPath };
        }
        finally
        {
            foreach (var p in pointers)
            {
                if (p != 0)
                {
                    Marshal.FreeCoTaskMem(p);
                }
            }
        }
    }
}
