using CvmfsImages.Runtime.Diagnostics;

namespace CvmfsImages.Runtime.Cli;

/// <summary>
/// Singularity's command-line grammar, hand-written because it is pflag's (what Singularity and Apptainer use), which
/// System.CommandLine does not reproduce: options stop at the first positional (the image), so everything after it
/// belongs to the payload (<c>exec img ls -l</c>); one-letter flags cluster (<c>-ce</c>) and take values attached
/// (<c>-B/a</c>, <c>-B=/a</c>) or separate; long options take <c>--x=v</c> or <c>--x v</c>; booleans accept
/// <c>--x=true|false</c>; global flags (<c>-d -v -q -s</c>) go before or after the action, and an action's own flag
/// shadows a global one with the same letter (<c>shell -s /bin/bash</c>).
/// </summary>
internal static class CommandLineParser
{
    private static readonly Dictionary<string, ActionKind> Actions = new(StringComparer.Ordinal)
    {
        ["exec"] = ActionKind.Exec,
        ["shell"] = ActionKind.Shell,
        ["run"] = ActionKind.Run,
        ["test"] = ActionKind.Test,
        ["inspect"] = ActionKind.Inspect,
        ["help"] = ActionKind.Help,
    };

    /// <summary>Singularity / Apptainer actions this runtime refuses, with the reason the message gives.</summary>
    private static readonly Dictionary<string, string> Unsupported = new(StringComparer.Ordinal)
    {
        ["instance"] = "instances (instance start/list/stop) are not supported: this runtime has no daemon and runs every container in the foreground; for a service on a node, run `singularity exec` under systemd or the batch system",
        ["selftest"] = "selftest is not supported (it checked Singularity 2.x's setuid installation); `singularity exec IMAGE true` checks this one",
        ["build"] = "build is not supported: images are published as directories on CVMFS by the sync service",
        ["pull"] = "pull is not supported: images are published as directories on CVMFS by the sync service",
    };

    /// <summary>Variables of Singularity 2.x that ask for something this runtime does not do; refused when set.</summary>
    private static readonly string[] UnsupportedVariables = ["SINGULARITY_TARGET_UID", "SINGULARITY_TARGET_GID", "APPTAINER_TARGET_UID", "APPTAINER_TARGET_GID"];

    /// <summary>The variables that carry bind lists, in the order they are applied (before <c>-B</c>).</summary>
    public static readonly string[] BindVariables = ["SINGULARITY_BINDPATH", "SINGULARITY_BIND", "APPTAINER_BINDPATH", "APPTAINER_BIND"];

    public static IReadOnlyList<OptionSpec> GlobalOptions { get; } =
    [
        new("debug", 'd', false, (i, _) => i.Level = MessageLevel.Debug, "print debugging information"),
        new("verbose", 'v', false, (i, _) => i.Level = MessageLevel.Verbose, "print additional information"),
        new("quiet", 'q', false, (i, _) => i.Level = MessageLevel.Warning, "only print warnings and errors"),
        new("silent", 's', false, (i, _) => i.Level = MessageLevel.Error, "only print errors"),
        new("version", null, false, (i, _) => i.Action = ActionKind.Version, "show the version"),
        new("help", 'h', false, (i, _) => i.HelpFor ??= ActionKind.Help, "show help"),
    ];

    public static IReadOnlyList<OptionSpec> ContainerOptions { get; } =
    [
        new("bind", 'B', true, (i, v) => i.Binds.AddRange(BindSpec.ParseList(v, "--bind")), "src[:dst[:ro|rw]],...: bind host paths"),
        new("home", 'H', true, (i, v) => i.Home = v, "src[:dst]: home directory to bind (and $HOME inside)"),
        new("no-home", null, false, (i, _) => i.NoHome = true, "do not mount the home directory"),
        new("contain", 'c', false, (i, _) => i.Contain = true, "minimal /dev, empty /tmp, /var/tmp and home"),
        new("containall", 'C', false, (i, _) => i.ContainAll = true, "--contain plus PID and IPC namespaces and --cleanenv"),
        new("cleanenv", 'e', false, (i, _) => i.CleanEnv = true, "do not pass the host environment"),
        new("env", null, true, (i, v) => i.Env.Add(v), "K=V[,K=V...]: set variables in the container"),
        new("env-file", null, true, (i, v) => i.EnvFiles.Add(v), "file of K=V lines to set in the container"),
        new("pid", 'p', false, (i, _) => i.Pid = true, "new PID namespace"),
        new("ipc", 'i', false, (i, _) => i.Ipc = true, "new IPC namespace"),
        new("pwd", null, true, (i, v) => i.Pwd = v, "initial working directory inside the container"),
        new("workdir", 'W', true, (i, v) => i.Workdir = v, "host directory for /tmp, /var/tmp and home with --contain, and for --scratch"),
        new("scratch", 'S', true, (i, v) => i.Scratch.AddRange(v.Split(',', StringSplitOptions.RemoveEmptyEntries)), "dir[,dir...]: empty scratch directories"),
        new("nv", null, false, (i, _) => i.Nv = true, "NVIDIA GPU support (host driver libraries and /dev/nvidia*)"),
        new("sharens", null, false, (i, _) => i.ShareNs = true, "share the user namespace with the other containers of the same parent process (MPI ranks)"),
        new("no-privs", null, false, (i, _) => i.NoPrivs = true, "as root: drop every capability in the container"),
        new("app", null, true, (_, v) => throw Fail($"--app {v}: SCIF apps are not supported by this runtime; run the app's command with exec", "--app"), "not supported (SCIF apps)"),
        new("help", 'h', false, (i, _) => i.HelpFor = i.Action, "show help for this action"),
    ];

    public static IReadOnlyList<OptionSpec> ShellOptions { get; } =
    [
        new("shell", 's', true, (i, v) => i.Shell = v, "path of the shell inside the container"),
    ];

    public static IReadOnlyList<OptionSpec> InspectOptions { get; } =
    [
        new("labels", 'l', false, (i, _) => i.InspectLabels = true, "the image's labels (default)"),
        new("runscript", 'r', false, (i, _) => i.InspectRunscript = true, "the runscript"),
        new("environment", 'e', false, (i, _) => i.InspectEnvironment = true, "the environment scripts"),
        new("json", 'j', false, (i, _) => i.InspectJson = true, "JSON output"),
        new("app", null, true, (_, v) => throw Fail($"--app {v}: SCIF apps are not supported by this runtime", "--app"), "not supported (SCIF apps)"),
        new("help", 'h', false, (i, _) => i.HelpFor = i.Action, "show help for this action"),
    ];

    /// <summary>Parses <paramref name="args"/>; bind variables in <paramref name="environment"/> come before <c>-B</c>.</summary>
    /// <exception cref="RuntimeFailureException">an unknown option, a missing value or argument, a bad bind spec.</exception>
    public static Invocation Parse(IReadOnlyList<string> args, IReadOnlyDictionary<string, string> environment)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(environment);
        var invocation = new Invocation();
        var index = ParseOptions(args, 0, invocation, GlobalOptions, "singularity");
        if (invocation.Action == ActionKind.Version || invocation.HelpFor is not null)
        {
            return invocation;
        }

        if (index >= args.Count)
        {
            // `singularity` alone (or with only global options): the usage, exit 0, as Singularity and Apptainer do.
            invocation.HelpFor = ActionKind.Help;
            return invocation;
        }

        var word = args[index++];
        if (Unsupported.TryGetValue(word, out var why))
        {
            throw Fail($"{word}: {why}", word);
        }

        if (!Actions.TryGetValue(word, out var action))
        {
            throw Fail($"unknown action '{word}' (exec, shell, run, test, inspect, help)", word);
        }

        invocation.Action = action;
        if (action == ActionKind.Help)
        {
            invocation.HelpFor = HelpTopic(args, index);
            return invocation;
        }

        if (action != ActionKind.Inspect)
        {
            foreach (var name in UnsupportedVariables)
            {
                if (environment.TryGetValue(name, out var value) && value.Length > 0)
                {
                    throw Fail($"{name}={value}: running the container as another user is not supported (it runs as the calling user); unset {name}", name);
                }
            }

            invocation.ShareNs |= IsTrue(environment, "SINGULARITY_SHARENS") || IsTrue(environment, "APPTAINER_SHARENS");
        }

        if (action != ActionKind.Inspect)
        {
            foreach (var name in BindVariables)
            {
                if (environment.TryGetValue(name, out var value) && value.Length > 0)
                {
                    invocation.Binds.AddRange(BindSpec.ParseList(value, name));
                }
            }
        }

        var options = action switch
        {
            ActionKind.Inspect => InspectOptions,
            ActionKind.Shell => [.. ShellOptions, .. ContainerOptions, .. GlobalOptions.Where(g => g.Short != 's' && g.Long != "help")],
            _ => [.. ContainerOptions, .. GlobalOptions.Where(g => g.Long != "help")],
        };
        if (action == ActionKind.Inspect)
        {
            options = [.. options, .. GlobalOptions.Where(g => g.Long != "help")];
        }

        index = ParseOptions(args, index, invocation, options, word);
        if (invocation.HelpFor is not null)
        {
            return invocation;
        }

        if (index >= args.Count)
        {
            throw Fail($"{word}: no image given (usage: singularity {word} [options] <image>{(action == ActionKind.Exec ? " <command> [args...]" : string.Empty)})", word);
        }

        // `singularity exec help` (Singularity 2.x): the action's help. An image directory named help is `./help`.
        if (args[index] == "help" && index + 1 == args.Count)
        {
            invocation.HelpFor = action;
            return invocation;
        }

        invocation.Image = args[index++];
        invocation.Arguments = [.. args.Skip(index)];
        if (action == ActionKind.Exec && invocation.Arguments.Count == 0)
        {
            throw Fail($"exec: no command given (usage: singularity exec [options] <image> <command> [args...])", "exec");
        }

        if (action == ActionKind.Inspect && invocation.Arguments.Count > 0)
        {
            throw Fail($"inspect: unexpected argument '{invocation.Arguments[0]}' after the image", invocation.Arguments[0]);
        }

        if (invocation.ContainAll)
        {
            invocation.Contain = invocation.Pid = invocation.Ipc = invocation.CleanEnv = true;
        }

        if (invocation.ShareNs && (invocation.Pid || invocation.Ipc))
        {
            throw Fail($"--sharens cannot be combined with {(invocation.ContainAll ? "--containall (which implies -p and -i)" : invocation.Pid ? "-p/--pid" : "-i/--ipc")}: containers that share a user namespace must see each other's processes and System V memory", "--sharens");
        }

        return invocation;
    }

    /// <summary>The topic of <c>help [ACTION]</c>: an unknown one is an error, not the general help.</summary>
    private static ActionKind HelpTopic(IReadOnlyList<string> args, int index)
    {
        if (index >= args.Count)
        {
            return ActionKind.Help;
        }

        if (index + 1 < args.Count)
        {
            throw Fail($"help: one action at most, got '{string.Join(' ', args.Skip(index))}'", args[index + 1]);
        }

        var topic = args[index];
        if (Unsupported.TryGetValue(topic, out var why))
        {
            throw Fail($"help {topic}: {why}", topic);
        }

        return Actions.TryGetValue(topic, out var action) && action != ActionKind.Help
            ? action
            : throw Fail($"help: unknown action '{topic}' (exec, shell, run, test, inspect)", topic);
    }

    /// <summary>Apptainer's reading of a boolean variable: 1, true, yes (any case) are true.</summary>
    private static bool IsTrue(IReadOnlyDictionary<string, string> environment, string name) =>
        environment.TryGetValue(name, out var value) && value.Trim().ToLowerInvariant() is "1" or "true" or "yes";

    /// <summary>Consumes options from <paramref name="index"/>; returns the index of the first positional argument.</summary>
    private static int ParseOptions(IReadOnlyList<string> args, int index, Invocation invocation, IReadOnlyList<OptionSpec> options, string context)
    {
        while (index < args.Count)
        {
            var arg = args[index];
            if (arg == "--")
            {
                return index + 1;
            }

            if (arg.StartsWith("--", StringComparison.Ordinal))
            {
                var eq = arg.IndexOf('=', StringComparison.Ordinal);
                var name = eq < 0 ? arg[2..] : arg[2..eq];
                var spec = options.FirstOrDefault(o => o.Long == name)
                    ?? throw Fail($"unknown option --{name} for '{context}' (see 'singularity help{(context == "singularity" ? string.Empty : " " + context)}')", "--" + name);
                string? value = eq < 0 ? null : arg[(eq + 1)..];
                index++;
                if (spec.TakesValue && value is null)
                {
                    value = index < args.Count ? args[index++] : throw Fail($"option --{name} needs a value", "--" + name);
                }

                Apply(spec, value, invocation, "--" + name);
                continue;
            }

            if (arg.Length > 1 && arg[0] == '-')
            {
                index++;
                for (var j = 1; j < arg.Length; j++)
                {
                    var letter = arg[j];
                    var spec = options.FirstOrDefault(o => o.Short == letter)
                        ?? throw Fail($"unknown option -{letter} for '{context}' (see 'singularity help{(context == "singularity" ? string.Empty : " " + context)}')", "-" + letter);
                    if (!spec.TakesValue)
                    {
                        spec.Apply(invocation, string.Empty);
                        continue;
                    }

                    var rest = arg[(j + 1)..];
                    if (rest.StartsWith('='))
                    {
                        rest = rest[1..];
                    }

                    var value = rest.Length > 0 ? rest
                        : index < args.Count ? args[index++] : throw Fail($"option -{letter} (--{spec.Long}) needs a value", "-" + letter);
                    Apply(spec, value, invocation, "-" + letter);
                    break;
                }

                continue;
            }

            return index;
        }

        return index;
    }

    private static void Apply(OptionSpec spec, string? value, Invocation invocation, string given)
    {
        if (spec.TakesValue)
        {
            spec.Apply(invocation, value!);
            return;
        }

        switch (value)
        {
            case null:
            case "true":
                spec.Apply(invocation, string.Empty);
                break;
            case "false":
                // pflag accepts --flag=false; every flag here defaults to false, so there is nothing to undo.
                break;
            default:
                throw Fail($"option {given} takes no value (got '{value}')", given);
        }
    }

    private static RuntimeFailureException Fail(string message, string subject) => new(message) { Subject = subject };
}
