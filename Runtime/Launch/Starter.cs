using System.Runtime.InteropServices;
using System.Text;
using CvmfsImages.Runtime.Native;
using CvmfsImages.Runtime.Planning;

namespace CvmfsImages.Runtime.Launch;

/// <summary>
/// Finds the C starter next to the front end's own executable and replaces this process with it (<c>execve</c>, same
/// pid: signals sent to <c>singularity</c> reach the starter and then the payload). The starter gets the op list as
/// argv and an EMPTY environment, so nothing from the caller's environment reaches its dynamic loader.
/// </summary>
internal static class Starter
{
    public const string FileName = "starter";

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

    /// <summary>Replaces this process with the starter. Returns only on failure (the exception says why).</summary>
    public static unsafe RuntimeFailureException Exec(string starterPath, IReadOnlyList<Op> ops)
    {
        ArgumentNullException.ThrowIfNull(ops);
        var argv = Op.ToArgv(starterPath, ops);
        foreach (var arg in argv)
        {
            if (arg.Contains('\0', StringComparison.Ordinal))
            {
                return new RuntimeFailureException($"an argument contains a NUL character: '{arg.Replace("\0", "\\0", StringComparison.Ordinal)}'");
            }
        }

        Console.Out.Flush();
        Console.Error.Flush();
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
            var size = argv.Sum(a => Encoding.UTF8.GetByteCount(a) + 1);
            return new RuntimeFailureException($"cannot execute the starter {starterPath}: {Marshal.GetPInvokeErrorMessage(errno)} ({argv.Count} arguments, {size} bytes)") { Subject = starterPath };
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
