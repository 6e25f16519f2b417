using System.CommandLine;
using System.Globalization;
using CvmfsImages.Registry;
using CvmfsImages.Sync.Execution;
using CvmfsImages.Sync.Lists;
using CvmfsImages.Sync.Planning;
using Spectre.Console;

namespace CvmfsImages.Sync.CommandLine;

/// <summary>
/// <c>validate &lt;file&gt; [--offline]</c>: every problem with its line number (<c>file:line: message</c>). Offline:
/// syntax, duplicates, path collisions. Online (default) also: each line resolves for the primary platform, each
/// glob matches at least one tag. Exit 0 valid, 3 malformed/conflicting lines, 1 lines that do not resolve.
/// </summary>
internal static class ValidateCommand
{
    public static Command Create(GlobalOptions global, CliEnvironment env)
    {
        var file = new Argument<string>("file") { Description = "The list file to check." };
        var offline = new Option<bool>("--offline") { Description = "Check syntax, duplicates and path collisions only; ask no registry." };
        var command = new Command("validate", "Check an image list: every problem with its line number. Exit 0 valid, 3 malformed or conflicting lines, 1 lines that do not resolve.")
        {
            file,
            offline,
        };
        command.SetAction((parse, ct) => CommandRunner.RunAsync(parse, global, env, async (context, token) =>
        {
            var path = parse.GetValue(file)!;
            var snapshot = await new FileListSource(path).ReadAsync(token).ConfigureAwait(false)
                ?? throw new ListReadException(path, $"cannot read '{path}'");
            var list = ImageList.Parse(snapshot.Text, path, context.Settings.Sync.MaxListLines);
            var problems = list.Problems.Concat(ListChecks.FindConflicts(list.Entries, context.Settings.Publisher.PathStyle)).OrderBy(p => p.LineNumber).ToList();
            foreach (var problem in problems)
            {
                env.Error.WriteLine($"{path}:{problem.LineNumber.ToString(CultureInfo.InvariantCulture)}: {problem.Message}");
            }

            var online = 0;
            if (!parse.GetValue(offline))
            {
                var bad = problems.Select(p => p.LineNumber).ToHashSet();
                online = await CheckOnlineAsync(context, env, path, [.. list.Entries.Where(e => !bad.Contains(e.LineNumber))], token).ConfigureAwait(false);
            }

            var summary = string.Create(CultureInfo.InvariantCulture, $"{path}: {list.Entries.Count} images, {problems.Count} problems{(parse.GetValue(offline) ? " (offline)" : $", {online} not resolvable")}");
            env.Console.MarkupLine(problems.Count + online == 0 ? $"[green]{Markup.Escape(summary)}[/]" : $"[red]{Markup.Escape(summary)}[/]");
            return problems.Count > 0 ? ExitCodes.ListInvalid : online > 0 ? ExitCodes.ImagesFailed : ExitCodes.Success;
        }, ct));
        return command;
    }

    private static async Task<int> CheckOnlineAsync(CommandContext context, CliEnvironment env, string path, IReadOnlyList<ListEntry> entries, CancellationToken ct)
    {
        var registry = context.Get<RegistryClient>();
        var platform = Platform.Parse(context.Settings.Sync.EffectivePlatforms[0]);
        var messages = new string?[entries.Count];
        var unreachable = new UnreachableRegistries();
        await Parallel.ForEachAsync(
            Enumerable.Range(0, entries.Count),
            new ParallelOptions { MaxDegreeOfParallelism = context.Settings.Sync.MaxConcurrentResolves, CancellationToken = ct },
            async (i, token) =>
            {
                var entry = entries[i];
                try
                {
                    if (entry.IsGlob)
                    {
                        var tags = await unreachable.CallAsync(entry.Reference.Registry, entry.LineNumber, () => registry.ListTagsAsync(entry.Repository, token)).ConfigureAwait(false);
                        var (selected, matched) = GlobExpansion.Expand(entry.TagPattern!, tags, context.Settings.Sync.MaxTagsPerGlob);
                        messages[i] = matched == 0 ? $"'{entry.Text}' matches no tag of {entry.Repository}" : null;
                    }
                    else
                    {
                        _ = await unreachable.CallAsync(entry.Reference.Registry, entry.LineNumber, () => registry.ResolveImageAsync(entry.Reference, platform, token)).ConfigureAwait(false);
                    }
                }
                catch (Exception ex) when (!token.IsCancellationRequested)
                {
                    messages[i] = $"'{entry.Text}' does not resolve for {platform}: {SyncEngine.Reason(ex)}";
                }
            }).ConfigureAwait(false);

        var failures = 0;
        for (var i = 0; i < entries.Count; i++)
        {
            if (messages[i] is { } message)
            {
                failures++;
                env.Error.WriteLine($"{path}:{entries[i].LineNumber.ToString(CultureInfo.InvariantCulture)}: {message}");
            }
        }

        return failures;
    }
}
