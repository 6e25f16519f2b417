using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;
using CvmfsImages.Sync.Execution;
using CvmfsImages.Sync.Lists;
using CvmfsImages.Sync.Migration;
using Spectre.Console;

namespace CvmfsImages.Sync.CommandLine;

/// <summary>
/// <c>migrate [--dry-run] [--json]</c>: take over a repository OSG's <c>cvmfs-singularity-sync</c> built. The dry run
/// asks the registries for manifests only (no blob) and writes nothing: per tag adopt / current / reuse / republish
/// (why) / unlink / failed, OSG's directories with their GC dates, bytes to pull. Without it: one full sync pass, which
/// adopts in place what OSG built (the metadata writes) and pulls only what changed.
/// </summary>
internal static class MigrateCommand
{
    public const int SchemaVersion = 1;

    public static Command Create(GlobalOptions global, CliEnvironment env)
    {
        var dryRun = new Option<bool>("--dry-run") { Description = "Say what the takeover would do; download no blob, change nothing." };
        var json = new Option<bool>("--json") { Description = "With --dry-run: one JSON document on stdout (schema in SyncService/README.md)." };
        var command = new Command("migrate", "Take over a repository OSG's cvmfs-singularity-sync built: adopt its images in place, republish only what changed. Exit 0 when nothing failed, 1 otherwise.")
        {
            dryRun,
            json,
        };
        command.SetAction((parse, ct) => CommandRunner.RunAsync(parse, global, env, async (context, token) =>
        {
            if (!parse.GetValue(dryRun))
            {
                if (parse.GetValue(json))
                {
                    return env.Fail(ExitCodes.Usage, "--json needs --dry-run (a migration run prints the sync summary)");
                }

                env.Console.MarkupLine($"[bold]migrate[/] {Markup.Escape(context.Settings.Sync.List)} -> {Markup.Escape(SyncCommand.Describe(context))}");
                var report = await context.Get<SyncRunner>().SyncAllAsync(new ConsoleProgress(env.Console), token).ConfigureAwait(false);
                SummaryTable.Write(env.Console, report);
                var adopted = report.Results.Count(r => r.Detail?.StartsWith("adopted in place", StringComparison.Ordinal) == true);
                env.Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"migrate: {adopted} adopted in place, {report.Count(ImageOutcome.Published)} published, {SizeText.Format(report.BytesPulled)} pulled; run `gc --dry-run` to see OSG's directories waiting for their grace period"));
                return report.Succeeded ? ExitCodes.Success : report.Problems.Count > 0 && report.Count(ImageOutcome.Failed) == 0 ? ExitCodes.ListInvalid : ExitCodes.ImagesFailed;
            }

            var snapshot = await context.Get<IListSource>().ReadAsync(token).ConfigureAwait(false)
                ?? throw new ListReadException(context.Settings.Sync.List, $"the list '{context.Settings.Sync.List}' could not be read");
            var list = ImageList.Parse(snapshot.Text, snapshot.Source, context.Settings.Sync.MaxListLines);
            var plan = await context.Get<SyncEngine>().PlanMigrationAsync(list, context.Settings.Publisher.GcGracePeriod, token).ConfigureAwait(false);
            if (parse.GetValue(json))
            {
                WriteJson(env.Output, plan, list.Source);
            }
            else
            {
                WriteText(env, plan);
            }

            return plan.Count("failed") == 0 ? ExitCodes.Success : ExitCodes.ImagesFailed;
        }, ct));
        return command;
    }

    private static void WriteText(CliEnvironment env, MigrationReport plan)
    {
        var table = new Table().Border(TableBorder.Simple);
        table.AddColumn("path");
        table.AddColumn("action");
        table.AddColumn("image directory");
        table.AddColumn("why");
        foreach (var tag in plan.Tags)
        {
            table.AddRow(new Text(tag.TagPath), new Text(tag.Action), new Text(tag.ImageDirectory ?? "-"), new Text(tag.Detail + (tag.BytesToPull > 0 ? $" ({SizeText.Format(tag.BytesToPull)})" : string.Empty)));
        }

        env.Console.Write(table);
        if (plan.Foreign.Count > 0)
        {
            var foreign = new Table().Border(TableBorder.Simple);
            foreign.AddColumn("OSG image directory");
            foreign.AddColumn("state");
            foreign.AddColumn("unreferenced since");
            foreign.AddColumn("gc removes it from");
            foreach (var dir in plan.Foreign)
            {
                foreign.AddRow(
                    new Text(dir.Directory),
                    new Text(dir.State),
                    new Text(dir.UnreferencedSince?.ToString("u", CultureInfo.InvariantCulture) ?? "-"),
                    new Text(dir.RemovableFrom?.ToString("u", CultureInfo.InvariantCulture) ?? (dir.State == "unreferenced" ? "the grace period after the next gc" : "-")));
            }

            env.Console.Write(foreign);
        }

        foreach (var warning in plan.Warnings)
        {
            env.Console.WriteLine("warning: " + warning);
        }

        env.Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"migrate (dry run): {plan.Count("adopt")} adopt, {plan.Count("current")} current, {plan.Count("reuse")} reuse, {plan.Count("republish")} republish ({SizeText.Format(plan.BytesToPull)} to pull), {plan.Count("unlink")} unlink, {plan.Count("failed")} failed; {plan.Foreign.Count} OSG image directories; nothing was changed"));
    }

    private static void WriteJson(TextWriter output, MigrationReport plan, string source)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            json.WriteStartObject();
            json.WriteNumber("schemaVersion", SchemaVersion);
            json.WriteString("list", source);
            json.WriteBoolean("dryRun", true);
            json.WriteNumber("bytesToPull", plan.BytesToPull);
            json.WriteStartObject("summary");
            foreach (var action in new[] { "adopt", "current", "reuse", "republish", "unlink", "failed" })
            {
                json.WriteNumber(action, plan.Count(action));
            }

            json.WriteNumber("foreign", plan.Foreign.Count);
            json.WriteEndObject();
            json.WriteStartArray("tags");
            foreach (var tag in plan.Tags)
            {
                json.WriteStartObject();
                json.WriteString("path", tag.TagPath);
                json.WriteString("reference", tag.Reference);
                json.WriteNumber("line", tag.LineNumber);
                json.WriteString("action", tag.Action);
                json.WriteString("detail", tag.Detail);
                WriteNullable(json, "imageDirectory", tag.ImageDirectory);
                json.WriteNumber("bytesToPull", tag.BytesToPull);
                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteStartArray("foreign");
            foreach (var dir in plan.Foreign)
            {
                json.WriteStartObject();
                json.WriteString("directory", dir.Directory);
                json.WriteString("state", dir.State);
                WriteNullable(json, "unreferencedSince", dir.UnreferencedSince?.ToString("o", CultureInfo.InvariantCulture));
                WriteNullable(json, "removableFrom", dir.RemovableFrom?.ToString("o", CultureInfo.InvariantCulture));
                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteStartArray("warnings");
            foreach (var warning in plan.Warnings)
            {
                json.WriteStringValue(warning);
            }

            json.WriteEndArray();
            json.WriteEndObject();
        }

        output.WriteLine(Encoding.UTF8.GetString(buffer.ToArray()));
    }

    private static void WriteNullable(Utf8JsonWriter json, string name, string? value)
    {
        if (value is null)
        {
            json.WriteNull(name);
        }
        else
        {
            json.WriteString(name, value);
        }
    }
}
