namespace CvmfsImages.Runtime.Environment;

/// <summary>
/// How the payload starts: through the image's <c>/bin/sh</c> running a fixed script (this text never contains user
/// input) that does what Singularity's <c>/.singularity.d/actions/exec</c> and its <c>99-*.sh</c> scripts do: source
/// the image's <c>/.singularity.d/env/*.sh</c> in order, export the user-defined variables over them, apply the PATH
/// requests, append <c>/.singularity.d/libs</c> to LD_LIBRARY_PATH (unless an env script already did), and <c>exec "$@"</c>. The user-defined values
/// travel as <c>__SINGULARITY_FORCE_NAME</c> variables with their names listed in <c>__SINGULARITY_FORCE_NAMES</c>;
/// names are checked to be shell identifiers before they get here, so the one <c>eval</c> only ever expands
/// <c>export NAME="$__SINGULARITY_FORCE_NAME"</c>. The script works with busybox sh, dash and bash. An image's own
/// <c>/.singularity.d/actions/*</c> are not used, so behaviour does not depend on which builder made the image.
/// </summary>
internal static class ShellWrapper
{
    public const string ForcePrefix = "__SINGULARITY_FORCE_";

    public const string Shell = "/bin/sh";

    public const string Script = """
        for __sing_f in /.singularity.d/env/*.sh; do
          if [ -f "$__sing_f" ]; then . "$__sing_f"; fi
        done
        unset __sing_f
        for __sing_n in ${__SINGULARITY_FORCE_NAMES:-}; do
          eval "export $__sing_n=\"\${__SINGULARITY_FORCE_$__sing_n}\""
          unset "__SINGULARITY_FORCE_$__sing_n"
        done
        unset __sing_n __SINGULARITY_FORCE_NAMES
        if [ -n "${SING_USER_DEFINED_PREPEND_PATH:-}" ]; then PATH="$SING_USER_DEFINED_PREPEND_PATH:$PATH"; fi
        if [ -n "${SING_USER_DEFINED_APPEND_PATH:-}" ]; then PATH="$PATH:$SING_USER_DEFINED_APPEND_PATH"; fi
        if [ -n "${SING_USER_DEFINED_PATH:-}" ]; then PATH="$SING_USER_DEFINED_PATH"; fi
        unset SING_USER_DEFINED_PREPEND_PATH SING_USER_DEFINED_APPEND_PATH SING_USER_DEFINED_PATH
        case ":${LD_LIBRARY_PATH:-}:" in
          *:/.singularity.d/libs:*) ;;
          *) LD_LIBRARY_PATH="${LD_LIBRARY_PATH:+$LD_LIBRARY_PATH:}/.singularity.d/libs" ;;
        esac
        export PATH LD_LIBRARY_PATH
        exec "$@"
        """;

    /// <summary>The environment entries (in order) for the wrapper: initial, then the forced values and their list.</summary>
    public static List<KeyValuePair<string, string>> Environment(ContainerEnvironment environment)
    {
        ArgumentNullException.ThrowIfNull(environment);
        var result = new List<KeyValuePair<string, string>>(environment.Initial);
        foreach (var kv in environment.UserDefined)
        {
            result.Add(new(ForcePrefix + kv.Key, kv.Value));
        }

        result.Add(new("__SINGULARITY_FORCE_NAMES", string.Join(' ', environment.UserDefined.Select(kv => kv.Key))));
        if (environment.PrependPath is { } p)
        {
            result.Add(new("SING_USER_DEFINED_PREPEND_PATH", p));
        }

        if (environment.AppendPath is { } a)
        {
            result.Add(new("SING_USER_DEFINED_APPEND_PATH", a));
        }

        if (environment.PathOverride is { } o)
        {
            result.Add(new("SING_USER_DEFINED_PATH", o));
        }

        return result;
    }

    /// <summary>The argv that runs <paramref name="payload"/> through the wrapper.</summary>
    public static List<string> Command(string actionName, IReadOnlyList<string> payload) =>
        [Shell, "-c", Script, "/.singularity.d/actions/" + actionName, .. payload];
}
