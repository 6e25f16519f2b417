namespace CvmfsImages.Runtime.Planning;

/// <summary>
/// The starter's ops (Runtime/starter/PROTOCOL.md): the same members, in the same order, as <c>OpType</c> in
/// <c>Runtime/starter/starter.c</c> (<c>OP_USER</c> ... <c>OP_EXEC</c>); a test compares the two, names and arities.
/// Ops are made only through <see cref="Op"/>'s typed factories, so a misspelt op or a wrong argument count does not
/// compile.
/// </summary>
internal enum OpCode
{
    User,
    UserHost,
    UserShared,
    Namespaces,
    Root,
    Underlay,
    MkDir,
    MkFile,
    Bind,
    BindHome,
    Tmpfs,
    Proc,
    BindProc,
    Sys,
    Dev,
    DevMinimal,
    DevMinimalNoPts,
    File,
    Chdir,
    Env,
    Debug,
    Exec,
}
