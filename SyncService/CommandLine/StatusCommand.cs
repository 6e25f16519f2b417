using System.CommandLine;
using System.Globalization;
using CvmfsImages.Publisher.Publishing;
using CvmfsImages.Sync.Execution;
using CvmfsImages.Sync.Lists;
using CvmfsImages.Sync.Status;
using Spectre.Console;

namespace CvmfsImages.Sync.CommandLine;

/// <summary>
/// <c>status</c>: what is published (read from the repository), what the list asks for that is not published yet
/// (pending), and the last result per image (from the state directory). Asks no registry. Exit 0 when every plain
/// list line is published and nothing failed last time, 1 otherwise.
/// </summary>
internal static class StatusCommand
{
    public static Command Create(GlobalOptions global, CliEnvironment env)
    {
        var command = new Command("status", "Show what is published, what is pending and the last result per image (no registry is asked). Exit 0 when all is published and current, 1 otherwise.");
        command.SetAction((parse, ct) => CommandRunner.RunAsync(parse, global, env, async (context, token) =>
        {
            var repository = context.Get<CvmfsRepository>();
            var published = await repository.ReadStateAsync(token).ConfigureAwait(false);
            var status = await context.Get<StatusStore>().ReadAsync(token).ConfigureAwait(false);

            ImageList? list = null;
            try
            {
                var snapshot = await context.Get<IListSource>().ReadAsync(token).ConfigureAwait(false);
                list = snapshot is null ? null : ImageList.Parse(snapshot.Text, snapshot.Source, context.Settings.Sync.MaxListLines);
            }
            catch (ListReadException ex)
            {
                env.Error.WriteLine("cvmfs-image-sync: " + ex.Message);
            }

            var style = context.Settings.Publisher.PathStyle;
            var pending = list?.Entries.Where(e => !e.IsGlob && ListChecks.PathOf(e, style) is { } p && !published.Tags.ContainsKey(p)).ToList() ?? [];

            var table = new Table().Border(TableBorder.Simple);
            table.AddColumn("path");
            table.AddColumn("image");
            table.AddColumn("platform");
            table.AddColumn("last result");
            table.AddColumn("detail");
            foreach (var (path, config) in published.Tags.OrderBy(t => t.Key, StringComparer.Ordinal))
            {
                var metadata = published.Images.GetValueOrDefault(config);
                var foreign = published.Foreign.GetValueOrDefault(config);
                var last = status.Images.GetValueOrDefault(path);
                table.AddRow(
                    new Text(path),
                    new Text(foreign is not null ? foreign.Directory : metadata?.AdoptedFrom ?? Short(config)),
                    new Text(metadata?.Platform ?? (foreign is not null ? "OSG's, not adopted" : "?")),
                    new Text(last?.Outcome.ToString().ToLowerInvariant() ?? "-"),
                    new Text(last?.Detail ?? string.Empty));
            }

            foreach (var entry in pending)
            {
                var last = status.Images.Values.FirstOrDefault(r => r.LineNumber == entry.LineNumber && r.Reference == entry.Reference.ToString());
                table.AddRow(
                    new Text(ListChecks.PathOf(entry, style) ?? entry.Text),
                    new Markup("[yellow]pending[/]"),
                    new Text(string.Empty),
                    new Text(last?.Outcome.ToString().ToLowerInvariant() ?? "-"),
                    new Text(last?.Detail ?? $"line {entry.LineNumber.ToString(CultureInfo.InvariantCulture)}"));
            }

            env.Console.Write(table);
            WriteForeign(env, published, context.Settings.Publisher.GcGracePeriod);
            var failed = status.Images.Values.Count(r => r.Outcome == ImageOutcome.Failed);
            env.Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{published.Tags.Count} paths published ({published.Images.Count} images), {pending.Count} pending, {failed} failed in the last results"));
            if (status.LastSync is { } s)
            {
                env.Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"last sync ({s.Scope}) {s.StartedAt:u}, {s.DurationSeconds:0.0} s: {s.Current} current, {s.Published} published, {s.Updated} updated, {s.Removed} removed, {s.Failed} failed"));
            }
            else
            {
                env.Console.WriteLine("no sync has run with this state directory (" + context.Settings.Sync.StateDirectory + ")");
            }

            return pending.Count == 0 && failed == 0 ? ExitCodes.Success : ExitCodes.ImagesFailed;
        }, ct));
        return command;
    }

    /// <summary>OSG's image directories (no metadata of ours): how many are linked, and when gc may remove the others.</summary>
    private static void WriteForeign(CliEnvironment env, PublishedState published, TimeSpan grace)
    {
        if (published.Foreign.Count == 0)
        {
            return;
        }

        var linked = published.Foreign.Values.Count(f => f.Referenced);
        env.Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{published.Foreign.Count} image directories without metadata of ours (built by OSG's cvmfs-singularity-sync): {linked} linked (a sync pass adopts the listed ones; `migrate --dry-run` shows how), {published.Foreign.Count - linked} unreferenced"));
        foreach (var foreign in published.Foreign.Values.Where(f => !f.Referenced).OrderBy(f => f.UnreferencedSince ?? DateTimeOffset.MaxValue))
        {
            env.Console.WriteLine(foreign.UnreferencedSince is { } since
                ? string.Create(CultureInfo.InvariantCulture, $"  {foreign.Directory}: unreferenced since {since:u}, gc removes it from {since + grace:u}")
                : $"  {foreign.Directory}: unreferenced, not yet seen by gc (its grace period starts then)");
        }
    }

    private static string Short(string digest) => digest.Length > 19 ? digest[..19] : digest;
}
