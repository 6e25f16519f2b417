using System.CommandLine;
using CvmfsImages.Publisher.Publishing;
using CvmfsImages.Registry;
using CvmfsImages.Registry.Names;
using CvmfsImages.Sync.Configuration;
using CvmfsImages.Sync.Execution;
using CvmfsImages.Sync.Lists;

namespace CvmfsImages.Sync.CommandLine;

/// <summary>
/// Runs a command body with the settings loaded and the services built, and maps what escapes to exit codes with a
/// message naming the input: configuration (2), list (3), repository or registry as a whole (4), a mass removal
/// refused (5), signal (130).
/// </summary>
internal static class CommandRunner
{
    public static async Task<int> RunAsync(
        ParseResult parse,
        GlobalOptions global,
        CliEnvironment env,
        Func<CommandContext, CancellationToken, Task<int>> body,
        CancellationToken ct,
        IReadOnlyList<string>? commandSettings = null)
    {
        SyncSettings settings;
        try
        {
            var overrides = global.Read(parse);
            if (commandSettings is { Count: > 0 })
            {
                overrides = overrides with { Settings = [.. overrides.Settings, .. commandSettings] };
            }

            settings = SyncSettings.Load(overrides);
        }
        catch (OptionsException ex)
        {
            return env.Fail(ExitCodes.Usage, ex.Message);
        }

        try
        {
            await using var context = CommandContext.Create(settings, parse.GetValue(global.Verbose));
            return await body(context, ct).ConfigureAwait(false);
        }
        catch (OptionsException ex)
        {
            return env.Fail(ExitCodes.Usage, ex.Message);
        }
        catch (ReferenceFormatException ex)
        {
            return env.Fail(ExitCodes.Usage, ex.Message);
        }
        catch (ListReadException ex)
        {
            return env.Fail(ExitCodes.ListInvalid, ex.Message);
        }
        catch (MassRemovalException ex)
        {
            return env.Fail(ExitCodes.MassRemoval, ex.Message);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            return env.Fail(ExitCodes.Interrupted, "interrupted; nothing half-written (an open transaction was aborted)");
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or RegistryException or InvalidOperationException or NotImplementedException or TagPathCollisionException)
        {
            return env.Fail(ExitCodes.Unavailable, ex.Message + (ex.InnerException is { } inner ? " (" + inner.Message + ")" : string.Empty));
        }
    }
}
