namespace CvmfsImages.Runtime.Planning;

/// <summary>One starter operation (Runtime/starter/PROTOCOL.md): a name from the protocol's table and its arguments.</summary>
internal sealed record Op(string Name, IReadOnlyList<string> Args)
{
    public const string ProtocolMagic = "CVMFS-IMAGES-STARTER-1";

    public static Op Of(string name, params string[] args) => new(name, args);

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

    /// <summary>The starter's argv: <c>starter MAGIC op args... op args...</c>.</summary>
    public static List<string> ToArgv(string starterPath, IEnumerable<Op> ops)
    {
        ArgumentNullException.ThrowIfNull(ops);
        var argv = new List<string> { starterPath, ProtocolMagic };
        foreach (var op in ops)
        {
            argv.Add(op.Name);
            argv.AddRange(op.Args);
        }

        return argv;
    }
}
