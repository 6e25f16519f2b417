using System.CommandLine;
using Spectre.Console;
using System.Globalization;
using CvmfsImages.Sync.Execution;

namespace CvmfsImages.Sync.CommandLine;

/// <summary><c>gc [--dry-run]</c>: remove images no tag has referred to for the grace period, in bounded batches.</summary>
internal static class GcCommand
{
    public static Command Create(GlobalOptions global, CliEnvironment env)
    {
        var dryRun = new Option<bool>("--dry-run") { Description = "Say what would be removed; change nothing." };
        var command = new Command("gc", "Garbage-collect unreferenced images after the grace period (Publisher:GcGracePeriod). Exit 0, or 1 when some removals failed.")
        {
            dryRun,
        };
        command.SetAction((parse, ct) => CommandRunner.RunAsync(parse, global, env, async (context, token) =>
        {
            var result = await context.Get<SyncRunner>().CollectGarbageAsync(parse.GetValue(dryRun), token).ConfigureAwait(false);
            var verb = result.DryRun ? "would remove" : "removed";
            foreach (var digest in result.Removed)
            {
                env.Console.WriteLine($"  {verb} {digest}");
            }

            foreach (var (digest, error) in result.Failed)
            {
                env.Error.WriteLine($"cvmfs-image-sync: removing {digest} failed: {error.Message}");
            }

            env.Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"gc{(result.DryRun ? " (dry run)" : string.Empty)}: {result.Removed.Count} {verb}, {result.MarkedUnreferenced.Count} newly unreferenced, {result.Waiting.Count} waiting for the grace period, {result.Failed.Count} failed"));
            return result.Failed.Count == 0 ? ExitCodes.Success : ExitCodes.ImagesFailed;
        }, ct));
        return command;
    }
}
