using System.Globalization;

namespace CvmfsImages.Runtime.Planning;

/// <summary>
/// One starter operation (Runtime/starter/PROTOCOL.md): an <see cref="OpCode"/> and its arguments as protocol words.
/// Made only by the factories below, one per op, each with the op's fixed arguments typed.
/// </summary>
internal sealed class Op
{
    public const string ProtocolMagic = "CVMFS-IMAGES-STARTER-1";

    /// <summary>EXEC's arity is its first argument (<c>EXEC &lt;argc&gt; &lt;argv&gt;...</c>), as <c>ARITY_EXEC</c> in the starter.</summary>
    public const int VariableArity = -1;

    private Op(OpCode code, params string[] args)
    {
        Code = code;
        Args = args;
    }

    public OpCode Code { get; }

    public IReadOnlyList<string> Args { get; }

    /// <summary>The op's protocol word (<c>BIND_PROC</c>).</summary>
    public string Name => Word(Code);

    /// <summary>USER: a new user namespace mapping only the caller's own uid and gid.</summary>
    public static Op User(uint uid, uint gid) => new(OpCode.User, Decimal(uid), Decimal(gid));

    /// <summary>USER_HOST: a root caller stays in the host's user namespace and keeps its capabilities.</summary>
    public static Op UserHost(uint uid, uint gid) => new(OpCode.UserHost, Decimal(uid), Decimal(gid));

    /// <summary>
    /// USER_SHARED: join (or create) the user namespace shared by the containers of one parent process, keyed on the
    /// parent's pid and start time (clock ticks after boot, from /proc/PID/stat).
    /// </summary>
    public static Op UserShared(uint uid, uint gid, int parentPid, ulong parentStartTime)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(parentPid);
        return new(OpCode.UserShared, Decimal(uid), Decimal(gid), Decimal((ulong)parentPid), Decimal(parentStartTime));
    }

    public static Op Namespaces(bool pid, bool ipc) => new(OpCode.Namespaces, pid ? "1" : "0", ipc ? "1" : "0");

    public static Op Root(string imageDirectory) => new(OpCode.Root, imageDirectory);

    public static Op Underlay(string container) => new(OpCode.Underlay, container);

    public static Op MkDir(string container) => new(OpCode.MkDir, container);

    public static Op MkFile(string container) => new(OpCode.MkFile, container);

    public static Op Bind(string host, string container, bool readOnly) => new(OpCode.Bind, host, container, readOnly ? "ro" : "rw");

    /// <summary>BIND_HOME: the home directory's bind (read-write); the setuid starter checks that the caller owns it.</summary>
    public static Op BindHome(string host, string container) => new(OpCode.BindHome, host, container);

    /// <summary>TMPFS; <paramref name="sizeBytes"/> 0 means the kernel's default.</summary>
    public static Op Tmpfs(string container, long sizeBytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(sizeBytes);
        return new(OpCode.Tmpfs, container, Decimal((ulong)sizeBytes));
    }

    public static Op Proc(string container) => new(OpCode.Proc, container);

    public static Op BindProc(string container) => new(OpCode.BindProc, container);

    public static Op Sys(string container) => new(OpCode.Sys, container);

    public static Op Dev(string container) => new(OpCode.Dev, container);

    /// <summary>DEV_MINIMAL, or DEV_MINIMAL_NO_PTS without its devpts instance (<c>mount devpts = no</c>).</summary>
    public static Op DevMinimal(string container, bool devPts) => new(devPts ? OpCode.DevMinimal : OpCode.DevMinimalNoPts, container);

    public static Op File(string container, string content) => new(OpCode.File, container, content);

    public static Op Chdir(string container) => new(OpCode.Chdir, container);

    public static Op Env(string name, string value) => new(OpCode.Env, name + "=" + value);

    public static Op Debug() => new(OpCode.Debug, "1");

    /// <summary>EXEC: the last op, the payload's argv.</summary>
    public static Op Exec(IReadOnlyList<string> argv)
    {
        ArgumentNullException.ThrowIfNull(argv);
        if (argv.Count == 0)
        {
            throw new ArgumentException("the payload needs at least argv0", nameof(argv));
        }

        return new(OpCode.Exec, [Decimal((ulong)argv.Count), .. argv]);
    }

    /// <summary>The protocol word of <paramref name="code"/>, as in the starter's <c>op_table</c>.</summary>
    public static string Word(OpCode code) => code switch
    {
        OpCode.User => "USER",
        OpCode.UserHost => "USER_HOST",
        OpCode.UserShared => "USER_SHARED",
        OpCode.Namespaces => "NAMESPACES",
        OpCode.Root => "ROOT",
        OpCode.Underlay => "UNDERLAY",
        OpCode.MkDir => "MKDIR",
        OpCode.MkFile => "MKFILE",
        OpCode.Bind => "BIND",
        OpCode.BindHome => "BIND_HOME",
        OpCode.Tmpfs => "TMPFS",
        OpCode.Proc => "PROC",
        OpCode.BindProc => "BIND_PROC",
        OpCode.Sys => "SYS",
        OpCode.Dev => "DEV",
        OpCode.DevMinimal => "DEV_MINIMAL",
        OpCode.DevMinimalNoPts => "DEV_MINIMAL_NO_PTS",
        OpCode.File => "FILE",
        OpCode.Chdir => "CHDIR",
        OpCode.Env => "ENV",
        OpCode.Debug => "DEBUG",
        OpCode.Exec => "EXEC",
        _ => throw new ArgumentOutOfRangeException(nameof(code), code, "not an op"),
    };

    /// <summary>The number of arguments <paramref name="code"/> takes (<see cref="VariableArity"/> for EXEC), as in <c>op_table</c>.</summary>
    public static int Arity(OpCode code) => code switch
    {
        OpCode.User or OpCode.UserHost or OpCode.Namespaces or OpCode.Tmpfs or OpCode.File or OpCode.BindHome => 2,
        OpCode.UserShared => 4,
        OpCode.Bind => 3,
        OpCode.Exec => VariableArity,
        _ => 1,
    };

    /// <summary>The op as its protocol words joined by spaces (debug output and tests).</summary>
    public override string ToString() => Args.Count == 0 ? Name : Name + " " + string.Join(' ', Args);

    /// <summary>The op words (each op name followed by its arguments), as they go over <c>--ops-fd</c>.</summary>
    public static List<string> ToWords(IEnumerable<Op> ops)
    {
        ArgumentNullException.ThrowIfNull(ops);
        var words = new List<string>();
        foreach (var op in ops)
        {
            words.Add(op.Name);
            words.AddRange(op.Args);
        }

        return words;
    }

    private static string Decimal(ulong value) => value.ToString(CultureInfo.InvariantCulture);
}
