using System.CommandLine;
using System.Globalization;
using System.Text;
using CvmfsImages.Registry;
using CvmfsImages.Sync.Execution;
using CvmfsImages.Sync.Lists;
using CvmfsImages.Sync.Planning;
using Spectre.Console;

namespace CvmfsImages.Sync.CommandLine;

/// <summary>
/// <c>validate &lt;file&gt; [--offline] [--json]</c>: every problem with its line number (<c>file:line: message</c>, or
/// one JSON document with <c>--json</c>, schema in SyncService/README.md). Offline: syntax, encoding, duplicates,
/// path collisions. Online (default) also: each line resolves for the primary platform, each glob matches at least
/// one tag. Exit 0 valid, 3 malformed/conflicting lines or an unreadable file, 1 lines that do not resolve.
/// </summary>
internal static class ValidateCommand
{
    public static Command Create(GlobalOptions global, CliEnvironment env)
    {
        var file = new Argument<string>("file") { Description = "The list file to check." };
        var offline = new Option<bool>("--offline") { Description = "Check syntax, duplicates and path collisions only; ask no registry." };
        var json = new Option<bool>("--json") { Description = "Print one JSON document on stdout (every problem with line, text, kind and message; the summary); exit codes unchanged." };
        var command = new Command("validate", "Check an image list: every problem with its line number. Exit 0 valid, 3 malformed or conflicting lines, 1 lines that do not resolve.")
        {
            file,
            offline,
            json,
        };
        command.SetAction((parse, ct) => CommandRunner.RunAsync(parse, global, env, async (context, token) =>
        {
            var path = parse.GetValue(file)!;
            var online = !parse.GetValue(offline);
            ValidateReport report;
            try
            {
                report = await CheckAsync(context, path, online, token).ConfigureAwait(false);
            }
            catch (ListReadException ex) when (parse.GetValue(json))
            {
                // A CI job reading stdout gets a document in every case but a bad option (exit 2, stderr only).
                report = ValidateReport.Unreadable(path, online, ex.Message);
            }

            if (parse.GetValue(json))
            {
                ValidateJson.Write(env.Output, report);
            }
            else
            {
                WriteText(env, report);
            }

            return report.ExitCode;
        }, ct));
        return command;
    }

    private static async Task<ValidateReport> CheckAsync(CommandContext context, string path, bool online, CancellationToken ct)
    {
        var (snapshot, notUtf8) = await new FileListSource(path).ReadForCheckAsync(ct).ConfigureAwait(false);
        var list = ImageList.Parse(snapshot.Text, path, context.Settings.Sync.MaxListLines);

        // A line that is not UTF-8 is that problem only (its U+FFFD would also read as bad syntax), and no entry.
        var notText = notUtf8.ToHashSet();
        var entries = list.Entries.Where(e => !notText.Contains(e.LineNumber)).ToList();
        var problems = new List<ListProblem>();
        problems.AddRange(notUtf8.Select(n => new ListProblem(n, "line is not UTF-8 text (each byte sequence that is not is shown as U+FFFD)") { Kind = ListProblemKind.NotUtf8 }));
        problems.AddRange(list.Problems.Where(p => !notText.Contains(p.LineNumber)));
        problems.AddRange(Classify(ListChecks.FindConflicts(entries, context.Settings.Publisher.PathStyle), entries));
        problems = [.. problems.OrderBy(p => p.LineNumber)];

        if (online)
        {
            var invalid = problems.Select(p => p.LineNumber).ToHashSet();
            problems.AddRange(await CheckOnlineAsync(context, [.. entries.Where(e => !invalid.Contains(e.LineNumber))], ct).ConfigureAwait(false));
        }

        var texts = LineTexts(snapshot.Text, problems.Select(p => p.LineNumber).ToHashSet(), out var lineCount);
        return new ValidateReport(
            path,
            online,
            lineCount,
            entries.Count,
            [.. problems.Select(p => new ValidateProblem(p.LineNumber, texts.GetValueOrDefault(p.LineNumber, string.Empty), p.Kind ?? ListProblemKind.Syntax, p.Message, p.OtherLineNumber))]);
    }

    // FIXME: ListChecks does not set ListProblem.Kind yet (it was being changed on another branch when validate --json
    // was written); its two kinds are told apart here: a duplicate names the same image (equal keys) as its other line.
    private static IEnumerable<ListProblem> Classify(IEnumerable<ListProblem> conflicts, IReadOnlyList<ListEntry> entries)
    {
        var byLine = entries.ToDictionary(e => e.LineNumber);
        foreach (var problem in conflicts)
        {
            if (problem.Kind is not null)
            {
                yield return problem;
                continue;
            }

            var duplicate = problem.OtherLineNumber is { } other && byLine.TryGetValue(problem.LineNumber, out var entry)
                && byLine.TryGetValue(other, out var first) && entry.Key == first.Key;
            yield return problem with { Kind = duplicate ? ListProblemKind.Duplicate : ListProblemKind.PathCollision };
        }
    }

    private static async Task<IReadOnlyList<ListProblem>> CheckOnlineAsync(CommandContext context, IReadOnlyList<ListEntry> entries, CancellationToken ct)
    {
        var registry = context.Get<RegistryClient>();
        var platform = Platform.Parse(context.Settings.Sync.EffectivePlatforms[0]);
        var found = new ListProblem?[entries.Count];
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
                        var (_, matched) = GlobExpansion.Expand(entry.TagPattern!, tags, context.Settings.Sync.MaxTagsPerGlob);
                        found[i] = matched == 0
                            ? new ListProblem(entry.LineNumber, $"'{entry.Text}' matches no tag of {entry.Repository}") { Kind = ListProblemKind.NoMatchingTag }
                            : null;
                    }
                    else
                    {
                        _ = await unreachable.CallAsync(entry.Reference.Registry, entry.LineNumber, () => registry.ResolveImageAsync(entry.Reference, platform, token)).ConfigureAwait(false);
                    }
                }
                catch (Exception ex) when (!token.IsCancellationRequested)
                {
                    var kind = ex is RegistryUnreachableException or RegistryException { IsTransient: true } or HttpRequestException or TimeoutException
                        ? ListProblemKind.RegistryUnavailable
                        : ListProblemKind.Unresolvable;
                    found[i] = new ListProblem(entry.LineNumber, $"'{entry.Text}' does not resolve for {platform}: {SyncEngine.Reason(ex)}") { Kind = kind };
                }
            }).ConfigureAwait(false);

        return [.. found.OfType<ListProblem>()];
    }

    /// <summary>The text of the wanted lines (numbered as <see cref="ImageList.Parse"/> does), each cut at <see cref="ImageList.MaxLineLength"/> characters.</summary>
    private static Dictionary<int, string> LineTexts(string text, HashSet<int> wanted, out int lineCount)
    {
        var texts = new Dictionary<int, string>();
        lineCount = 0;
        foreach (var line in text.AsSpan().EnumerateLines())
        {
            lineCount++;
            if (wanted.Contains(lineCount))
            {
                var cut = line.Length <= ImageList.MaxLineLength ? line : line[..ImageList.MaxLineLength];
                if (cut.Length < line.Length && char.IsHighSurrogate(cut[^1]))
                {
                    cut = cut[..^1]; // never half a surrogate pair: the JSON writer refuses invalid UTF-16
                }

                texts[lineCount] = cut.ToString();
            }
        }

        // EnumerateLines yields an empty last line after a final line break; a file does not have it.
        if (text.Length > 0 && text[^1] is '\n' or '\r' or '\f' or '\u0085' or '\u2028' or '\u2029')
        {
            lineCount--;
        }

        return texts;
    }

    private static void WriteText(CliEnvironment env, ValidateReport report)
    {
        if (report.Error is { } error)
        {
            env.Fail(ExitCodes.ListInvalid, error);
            return;
        }

        foreach (var problem in report.Problems)
        {
            env.Error.WriteLine($"{report.File}:{problem.LineNumber.ToString(CultureInfo.InvariantCulture)}: {Printable(problem.Message)}");
        }

        var summary = string.Create(CultureInfo.InvariantCulture, $"{report.File}: {report.Images} images, {report.Invalid} problems{(report.Online ? $", {report.Unresolvable} not resolvable" : " (offline)")}");
        env.Console.MarkupLine(report.ExitCode == ExitCodes.Success ? $"[green]{Markup.Escape(summary)}[/]" : $"[red]{Markup.Escape(summary)}[/]");
    }

    // Messages quote list lines; on a terminal a control character (an escape sequence) is shown, never obeyed.
    private static string Printable(string message)
    {
        if (!message.Any(char.IsControl))
        {
            return message;
        }

        var builder = new StringBuilder(message.Length + 16);
        foreach (var c in message)
        {
            builder.Append(char.IsControl(c) ? string.Create(CultureInfo.InvariantCulture, $"\\u{(int)c:x4}") : c.ToString());
        }

        return builder.ToString();
    }
}
