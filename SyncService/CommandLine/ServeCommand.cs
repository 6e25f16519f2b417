using System.CommandLine;
using CvmfsImages.Sync.Configuration;
using CvmfsImages.Sync.Hosting;
using Microsoft.Extensions.Hosting;

namespace CvmfsImages.Sync.CommandLine;

/// <summary>
/// <c>serve</c>: the long-running worker with its schedules and its HTTP host (status page, JSON API, webhook, metrics,
/// health); stops cleanly on SIGTERM. An address that cannot be listened on is a usage error naming <c>Http:Urls</c>.
/// </summary>
internal static class ServeCommand
{
    public static Command Create(GlobalOptions global, CliEnvironment env)
    {
        var command = new Command("serve", "Run the worker: poll the list (Sync:Schedules:ListPoll), re-resolve everything (FullResync), collect garbage (GarbageCollection); the status page, /api/status, /metrics, /healthz, /readyz and the GitHub webhook on Http:Urls (default http://127.0.0.1:9477). Stops cleanly on SIGTERM.");
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
            catch (IOException ex) when (ex.Message.StartsWith("Failed to bind", StringComparison.Ordinal))
            {
                // Kestrel: "Failed to bind to address http://127.0.0.1:9477: address already in use."
                return env.Fail(ExitCodes.Usage, new OptionsException("Http:Urls", "cannot be listened on: " + ex.Message, ex).Message);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return ExitCodes.Success;
            }
        });
        return command;
    }
}
