using System.CommandLine;
using Spectre.Console;
using CvmfsImages.Sync.Execution;

namespace CvmfsImages.Sync.CommandLine;

/// <summary><c>sync --once</c>: one full pass with per-image progress and a summary table.</summary>
internal static class SyncCommand
{
    public static Command Create(GlobalOptions global, CliEnvironment env)
    {
        var once = new Option<bool>("--once") { Description = "Run one pass and exit (the only mode of this command; `serve` keeps syncing)." };
        var allowMassRemoval = new Option<bool>("--allow-mass-removal")
        {
            Description = "Let this pass remove more than Sync:MaxRemovalPercent (10 %) of the published tags; without it such a pass stops before changing anything (exit 5).",
        };
        var command = new Command("sync", "Bring the repository up to the list once: resolve every line, pull and publish what changed, remove what is no longer listed. Exit 0 when every image is current, 1 when any failed (the others are still done), 5 when the list would remove more than Sync:MaxRemovalPercent of the published tags (nothing changed).")
        {
            once,
            allowMassRemoval,
        };
        command.SetAction((parse, ct) => CommandRunner.RunAsync(parse, global, env, async (context, token) =>
        {
            var runner = context.Get<SyncRunner>();
            env.Console.MarkupLine($"[bold]sync[/] {Markup.Escape(context.Settings.Sync.List)} -> {Markup.Escape(Describe(context))}");
            var report = await runner.SyncAllAsync(new ConsoleProgress(env.Console), token).ConfigureAwait(false);
            SummaryTable.Write(env.Console, report);
            return report.Succeeded ? ExitCodes.Success : report.Problems.Count > 0 && report.Count(ImageOutcome.Failed) == 0 ? ExitCodes.ListInvalid : ExitCodes.ImagesFailed;
        }, ct, parse.GetValue(allowMassRemoval) ? ["Sync:AllowMassRemoval=true"] : null));
        return command;
    }

    internal static string Describe(CommandContext context)
    {
        var p = context.Settings.Publisher;
        return p.Backend == Publisher.Publishing.PublisherBackends.Directory ? p.Root ?? "?" : $"cvmfs_server {p.RepositoryName}";
    }
}
