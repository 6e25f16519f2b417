namespace CvmfsImages.Publisher.Flattening;

/// <summary>
/// The fixed scripts of a Singularity/Apptainer sandbox (<c>/.singularity.d/actions/*</c> and the base
/// <c>env/*.sh</c>), written to behave as the ones those tools install, so their runtimes and ours treat the tree
/// the same way.
/// </summary>
internal static class SingularityScripts
{
    private const string SourceEnv = """
        for script in /.singularity.d/env/*.sh; do
            if [ -f "$script" ]; then
                . "$script"
            fi
        done

        """;

    public const string Exec = "#!/bin/sh\n" + SourceEnv + "exec \"$@\"\n";

    public const string Run = "#!/bin/sh\n" + SourceEnv + """
        if [ -n "${SINGULARITY_APPNAME:-}" ]; then
            if [ -x "/scif/apps/${SINGULARITY_APPNAME}/scif/runscript" ]; then
                exec "/scif/apps/${SINGULARITY_APPNAME}/scif/runscript" "$@"
            fi
            echo "No runscript for contained app: ${SINGULARITY_APPNAME}" >&2
            exit 1
        elif [ -x /.singularity.d/runscript ]; then
            exec /.singularity.d/runscript "$@"
        fi
        echo "No runscript found, executing /bin/sh" >&2
        exec /bin/sh "$@"

        """;

    public const string Shell = "#!/bin/sh\n" + SourceEnv + """
        if [ -n "${SINGULARITY_SHELL:-}" ] && [ -x "${SINGULARITY_SHELL}" ]; then
            exec "${SINGULARITY_SHELL}" "$@"
        elif [ -x /bin/bash ]; then
            SHELL=/bin/bash
            export SHELL
            exec /bin/bash --norc "$@"
        elif [ -x /bin/sh ]; then
            SHELL=/bin/sh
            export SHELL
            exec /bin/sh "$@"
        fi
        echo "ERROR: no shell (/bin/sh) in the container" >&2
        exit 1

        """;

    public const string Start = "#!/bin/sh\n" + SourceEnv + """
        if [ -x /.singularity.d/startscript ]; then
            exec /.singularity.d/startscript "$@"
        fi

        """;

    public const string Test = "#!/bin/sh\n" + SourceEnv + """
        if [ -x /.singularity.d/test ]; then
            exec /.singularity.d/test "$@"
        fi
        echo "No test script in the container, running /bin/sh -c true" >&2
        exec /bin/sh -c true

        """;

    public const string Startscript = "#!/bin/sh\n";

    /// <summary>01-base.sh: empty on purpose, as Singularity ships it (a hook sourced first).</summary>
    public const string Base01 = "#!/bin/sh\n# Base environment, sourced first. Empty, as in Singularity/Apptainer.\n";

    /// <summary>90-environment.sh: the image's %environment section; images built from OCI images have none.</summary>
    public const string Environment90 = "#!/bin/sh\n# Custom environment shell code should follow\n";

    /// <summary>95-apps.sh: the SCIF apps environment, when a run names an app.</summary>
    public const string Apps95 = """
        #!/bin/sh
        if [ -n "${SINGULARITY_APPNAME:-}" ]; then
            export SINGULARITY_APPNAME
            if [ -d "/scif/apps/${SINGULARITY_APPNAME}/" ]; then
                SCIF_APPS="/scif/apps"
                SCIF_APPROOT="/scif/apps/${SINGULARITY_APPNAME}"
                export SCIF_APPROOT SCIF_APPS
                PATH="/scif/apps/${SINGULARITY_APPNAME}:$PATH"
                if [ -d "/scif/apps/${SINGULARITY_APPNAME}/bin" ]; then
                    PATH="/scif/apps/${SINGULARITY_APPNAME}/bin:$PATH"
                fi
                if [ -d "/scif/apps/${SINGULARITY_APPNAME}/lib" ]; then
                    LD_LIBRARY_PATH="/scif/apps/${SINGULARITY_APPNAME}/lib:${LD_LIBRARY_PATH:-}"
                    export LD_LIBRARY_PATH
                fi
                for f in "/scif/apps/${SINGULARITY_APPNAME}/scif/env/01-base.sh" "/scif/apps/${SINGULARITY_APPNAME}/scif/env/90-environment.sh"; do
                    if [ -f "$f" ]; then
                        . "$f"
                    fi
                done
                export PATH
            else
                echo "Could not locate the container application: ${SINGULARITY_APPNAME}" >&2
                exit 1
            fi
        fi

        """;

    /// <summary>99-base.sh: the bound host libraries directory on the library path, and a prompt.</summary>
    public const string Base99 = """
        #!/bin/sh
        if [ -z "${LD_LIBRARY_PATH:-}" ]; then
            LD_LIBRARY_PATH="/.singularity.d/libs"
        else
            LD_LIBRARY_PATH="$LD_LIBRARY_PATH:/.singularity.d/libs"
        fi
        if [ -z "${PS1:-}" ]; then
            PS1="Singularity> "
        fi
        export LD_LIBRARY_PATH PS1

        """;

    /// <summary>99-runtimevars.sh: PATH changes the user asked for on the command line (--env PREPEND_PATH etc.), applied last.</summary>
    public const string RuntimeVars99 = """
        #!/bin/sh
        if [ -n "${SING_USER_DEFINED_PREPEND_PATH:-}" ]; then
            PATH="${SING_USER_DEFINED_PREPEND_PATH}:${PATH}"
        fi
        if [ -n "${SING_USER_DEFINED_APPEND_PATH:-}" ]; then
            PATH="${PATH}:${SING_USER_DEFINED_APPEND_PATH}"
        fi
        if [ -n "${SING_USER_DEFINED_PATH:-}" ]; then
            PATH="${SING_USER_DEFINED_PATH}"
        fi
        unset SING_USER_DEFINED_PREPEND_PATH SING_USER_DEFINED_APPEND_PATH SING_USER_DEFINED_PATH
        export PATH

        """;
}
