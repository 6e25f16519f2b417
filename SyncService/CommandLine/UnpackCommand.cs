using System.CommandLine;
using Spectre.Console;
using System.Globalization;
using CvmfsImages.Publisher.Flattening;
using CvmfsImages.Registry;
using CvmfsImages.Registry.Names;
using CvmfsImages.Sync.Execution;

namespace CvmfsImages.Sync.CommandLine;

/// <summary>
/// <c>unpack &lt;reference&gt; &lt;directory&gt;</c>: pull and flatten one image (primary platform) into a new directory,
/// exactly as a sync would, without publishing. The directory must not exist; on failure nothing is left.
/// </summary>
internal static class UnpackCommand
{
    public static Command Create(GlobalOptions global, CliEnvironment env)
    {
        var reference = new Argument<string>("reference") { Description = "The image to unpack." };
        var directory = new Argument<string>("directory") { Description = "A directory that does not exist yet (its parent must)." };
        var command = new Command("unpack", "Pull and flatten one image into a directory without publishing it (to see what a job will see). Exit 0, or 1 when it fails (nothing is left behind).")
        {
            reference,
            directory,
        };
        command.SetAction((parse, ct) => CommandRunner.RunAsync(parse, global, env, async (context, token) =>
        {
            var parsed = ImageReference.Parse(parse.GetValue(reference)!);
            var target = Path.GetFullPath(parse.GetValue(directory)!);
            if (Directory.Exists(target) || File.Exists(target))
            {
                return env.Fail(ExitCodes.Usage, $"'{target}' already exists; unpack creates the directory");
            }

            if (!Directory.Exists(Path.GetDirectoryName(target)))
            {
                return env.Fail(ExitCodes.Usage, $"the parent of '{target}' does not exist");
            }

            var registry = context.Get<RegistryClient>();
            var platform = Platform.Parse(context.Settings.Sync.EffectivePlatforms[0]);
            long pulled = 0;
            try
            {
                var image = await registry.ResolveImageAsync(parsed, platform, token).ConfigureAwait(false);
                env.Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"unpack {parsed} ({platform}, {image.Layers.Count} layers, {SizeText.Format(image.CompressedSize)}) -> {target}"));
                var (config, layers) = ImageLayers.For(registry, image, n => Interlocked.Add(ref pulled, n));
                var result = await context.Get<ImageFlattener>().FlattenAsync(layers, config, target, new FlattenOptions(), token).ConfigureAwait(false);
                env.Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{result.Files} files, {result.Directories} directories, {result.Symlinks} symlinks, {result.Hardlinks} hardlinks, {SizeText.Format(result.Bytes)}; {SizeText.Format(pulled)} pulled; image {image.Config.Digest}"));
                return ExitCodes.Success;
            }
            catch (Exception ex) when (ex is RegistryException or InvalidDataException or IOException && !token.IsCancellationRequested)
            {
                return env.Fail(ExitCodes.ImagesFailed, $"unpacking '{parsed}' failed: {SyncEngine.Reason(ex)}");
            }
        }, ct));
        return command;
    }
}
