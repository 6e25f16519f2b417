using System.CommandLine;
using CvmfsImages.Sync.Configuration;
using CvmfsImages.Sync.Hosting;
using Microsoft.Extensions.Hosting;

namespace CvmfsImages.Sync.CommandLine;

/// <summary><c>serve</c>: the long-running worker with its schedules and metrics endpoint; stops cleanly on SIGTERM.</summary>
internal static class ServeCommand
{
    public static Command Create(GlobalOptions global, CliEnvironment env)
    {
        var command = new Command("serve", "Run the worker: poll the list (Sync:Schedules:ListPoll), re-resolve everything (FullResync), collect garbage (GarbageCollection); /healthz and /metrics on 127.0.0.1:Sync:Metrics:Port. Stops cleanly on SIGTERM.");
        command.SetAction(async (parse, ct) =>
        {
            SyncSettings settings;
            try
            {
                settings = SyncSettings.Load(global.Read(parse));
            }
            catch (OptionsException ex)
            {
                return env.Fail(ExitCodes.Usage, ex.Message);
            }

            try
            {
                using var host = await ServeHost.BuildAsync(settings, parse.GetValue(global.Verbose), ct).ConfigureAwait(false);
                await host.RunAsync(ct).ConfigureAwait(false);
                return ExitCodes.Success;
            }
            catch (OptionsException ex)
            {
                return env.Fail(ExitCodes.Usage, ex.Message);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return ExitCodes.Success;
            }
        });
        return command;
    }
}
