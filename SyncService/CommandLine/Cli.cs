using System.CommandLine;
using System.Runtime.InteropServices;
using CvmfsImages.Sync.Hosting;
using Spectre.Console;

namespace CvmfsImages.Sync.CommandLine;

/// <summary>
/// The command tree of <c>cvmfs-image-sync</c>. Tests call <see cref="RunAsync"/> in-process with their own writers.
/// SIGINT and SIGTERM cancel the running command (an open transaction is aborted, never left half done); <c>serve</c>
/// leaves signals to the host's lifetime.
/// </summary>
public static class Cli
{
    public static async Task<int> RunAsync(string[] args, TextWriter? output = null, TextWriter? error = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(args);
        output ??= Console.Out;
        error ??= Console.Error;
        // ANSI and colours only on a terminal; piped or captured output is plain text, wide enough for the tables.
        var terminal = ReferenceEquals(output, Console.Out) && !Console.IsOutputRedirected;
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(output),
            Ansi = terminal ? AnsiSupport.Detect : AnsiSupport.No,
            ColorSystem = terminal ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
        });
        if (!terminal)
        {
            console.Profile.Width = 200;
        }

        var env = new CliEnvironment(console, output, error);
        var root = Build(env);
        var parse = root.Parse(args);
        if (parse.Errors.Count > 0)
        {
            foreach (var e in parse.Errors)
            {
                error.WriteLine("cvmfs-image-sync: " + e.Message);
            }

            error.WriteLine("cvmfs-image-sync: see 'cvmfs-image-sync --help'");
            return ExitCodes.Usage;
        }

        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var isServe = parse.CommandResult.Command.Name == "serve";
        using var sigint = isServe ? null : PosixSignalRegistration.Create(PosixSignal.SIGINT, c => Cancel(c, cts));
        using var sigterm = isServe ? null : PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => Cancel(c, cts));
        return await parse.InvokeAsync(new InvocationConfiguration { Output = output, Error = error, ProcessTerminationTimeout = null }, cts.Token).ConfigureAwait(false);
    }

    private static void Cancel(PosixSignalContext context, CancellationTokenSource cts)
    {
        context.Cancel = true;
        try
        {
            cts.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // The command already finished.
        }
    }

    private static RootCommand Build(CliEnvironment env)
    {
        var global = new GlobalOptions();
        var root = new RootCommand(
            "cvmfs-image-sync: keeps a CVMFS repository (or a local directory) equal to a reviewed list of container images. "
            + "Exit codes: 0 ok, 1 some images failed, 2 bad command line or configuration, 3 list unreadable or invalid, 4 repository or registry unusable, 5 mass removal refused (sync: --allow-mass-removal), 130 interrupted.");
        global.AddTo(root);
        root.Add(SyncCommand.Create(global, env));
        root.Add(ServeCommand.Create(global, env));
        root.Add(ValidateCommand.Create(global, env));
        root.Add(InspectCommand.Create(global, env));
        root.Add(StatusCommand.Create(global, env));
        root.Add(UnpackCommand.Create(global, env));
        root.Add(GcCommand.Create(global, env));
        root.Add(MigrateCommand.Create(global, env));
        return root;
    }
}
