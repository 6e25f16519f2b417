using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using CvmfsImages.Publisher.Flattening;
using CvmfsImages.Registry;
using CvmfsImages.Registry.Names;
using Spectre.Console;

namespace CvmfsImages.Sync.CommandLine;

/// <summary>
/// <c>inspect &lt;reference&gt; [--json]</c>: what a reference resolves to now: the top digest, and per platform the
/// manifest, config, layers with sizes and a config summary. Downloads manifests and configs, never layers.
/// </summary>
internal static class InspectCommand
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    public static Command Create(GlobalOptions global, CliEnvironment env)
    {
        var reference = new Argument<string>("reference") { Description = "An image reference as in the list (python:3.12, ghcr.io/org/tool@sha256:...)." };
        var json = new Option<bool>("--json") { Description = "Print JSON instead of text." };
        var all = new Option<bool>("--all-platforms") { Description = "Every platform of an index, not only the configured ones." };
        var command = new Command("inspect", "Show what a reference resolves to: digest per platform, layers, sizes, config summary. Exit 0, or 1 when it does not resolve.")
        {
            reference,
            json,
            all,
        };
        command.SetAction((parse, ct) => CommandRunner.RunAsync(parse, global, env, async (context, token) =>
        {
            var parsed = ImageReference.Parse(parse.GetValue(reference)!);
            var registry = context.Get<RegistryClient>();
            InspectedImage result;
            try
            {
                var top = await registry.ResolveDigestAsync(parsed, token).ConfigureAwait(false);
                var pinned = parsed.WithDigest(top);
                var available = await registry.ListPlatformsAsync(pinned, token).ConfigureAwait(false);
                var wanted = parse.GetValue(all) ? available : [.. context.Settings.Sync.EffectivePlatforms.Select(Platform.Parse)];
                var platforms = new List<InspectedPlatform>();
                foreach (var platform in wanted)
                {
                    try
                    {
                        var image = await registry.ResolveImageAsync(pinned, platform, token).ConfigureAwait(false);
                        var config = ImageConfig.Parse(image.ConfigBytes.Span);
                        platforms.Add(new InspectedPlatform(
                            platform.ToString(), image.ManifestDigest.ToString(), image.Config.Digest.ToString(), image.CompressedSize,
                            [.. image.Layers.Select(l => new InspectedLayer(l.MediaType, l.Digest.ToString(), l.Size))],
                            new InspectedConfig(config.Env, config.Entrypoint, config.Cmd, config.WorkingDir, config.User, config.Labels, config.Created),
                            null));
                    }
                    catch (RegistryException ex)
                    {
                        platforms.Add(new InspectedPlatform(platform.ToString(), null, null, 0, [], null, ex.Message));
                    }
                }

                result = new InspectedImage(parsed.ToString(), top.ToString(), [.. available.Select(p => p.ToString())], platforms);
            }
            catch (RegistryException ex)
            {
                return env.Fail(ExitCodes.ImagesFailed, $"'{parsed}' does not resolve: {ex.Message}");
            }

            if (parse.GetValue(json))
            {
                await env.Output.WriteLineAsync(JsonSerializer.Serialize(result, Json)).ConfigureAwait(false);
            }
            else
            {
                WriteText(env.Console, result);
            }

            return result.Platforms.All(p => p.Error is null) ? ExitCodes.Success : ExitCodes.ImagesFailed;
        }, ct));
        return command;
    }

    private static void WriteText(IAnsiConsole console, InspectedImage image)
    {
        console.MarkupLine($"[bold]{Markup.Escape(image.Reference)}[/]");
        console.WriteLine($"  digest     {image.Digest}");
        console.WriteLine($"  platforms  {string.Join(", ", image.AvailablePlatforms)}");
        foreach (var p in image.Platforms)
        {
            console.MarkupLine($"  [bold]{Markup.Escape(p.Platform)}[/]");
            if (p.Error is not null)
            {
                console.MarkupLine($"    [red]{Markup.Escape(p.Error)}[/]");
                continue;
            }

            console.WriteLine($"    manifest   {p.ManifestDigest}");
            console.WriteLine($"    config     {p.ConfigDigest}");
            console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"    size       {p.CompressedSize} bytes compressed, {p.Layers.Count} layers"));
            foreach (var layer in p.Layers)
            {
                console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"      {layer.Digest}  {layer.Size,12}  {layer.MediaType}"));
            }

            if (p.Config is { } c)
            {
                console.WriteLine($"    entrypoint {JsonSerializer.Serialize(c.Entrypoint)}  cmd {JsonSerializer.Serialize(c.Cmd)}");
                console.WriteLine($"    workdir    {c.WorkingDir ?? "-"}  user {c.User ?? "-"}  created {c.Created?.ToString("u", CultureInfo.InvariantCulture) ?? "-"}");
                foreach (var env in c.Env)
                {
                    console.WriteLine($"    env        {env}");
                }
            }
        }
    }

    internal sealed record InspectedImage(string Reference, string Digest, IReadOnlyList<string> AvailablePlatforms, IReadOnlyList<InspectedPlatform> Platforms);

    internal sealed record InspectedPlatform(string Platform, string? ManifestDigest, string? ConfigDigest, long CompressedSize,
        IReadOnlyList<InspectedLayer> Layers, InspectedConfig? Config, string? Error);

    internal sealed record InspectedLayer(string MediaType, string Digest, long Size);

    internal sealed record InspectedConfig(IReadOnlyList<string> Env, IReadOnlyList<string> Entrypoint, IReadOnlyList<string> Cmd,
        string? WorkingDir, string? User, IReadOnlyDictionary<string, string> Labels, DateTimeOffset? Created);
}
