using System.Globalization;
using CvmfsImages.Sync.Execution;
using Spectre.Console;

namespace CvmfsImages.Sync.CommandLine;

/// <summary>The table at the end of <c>sync</c>: every image that did not end current, then the totals.</summary>
internal static class SummaryTable
{
    public static void Write(IAnsiConsole console, SyncReport report)
    {
        ArgumentNullException.ThrowIfNull(console);
        ArgumentNullException.ThrowIfNull(report);
        foreach (var problem in report.Problems)
        {
            console.MarkupLine($"[red]{Markup.Escape(report.ListSource)}:{problem.LineNumber.ToString(CultureInfo.InvariantCulture)}:[/] {Markup.Escape(problem.Message)}");
        }

        foreach (var warning in report.Warnings)
        {
            console.MarkupLine($"[yellow]warning:[/] {Markup.Escape(warning)}");
        }

        var notable = report.Results.Where(r => r.Outcome != ImageOutcome.Current).ToList();
        if (notable.Count > 0)
        {
            var table = new Table().Border(TableBorder.Simple);
            table.AddColumn("line");
            table.AddColumn("image");
            table.AddColumn("result");
            table.AddColumn("detail");
            foreach (var r in notable)
            {
                var color = r.Outcome switch
                {
                    ImageOutcome.Failed => "red",
                    ImageOutcome.Removed => "yellow",
                    _ => "green",
                };
                var detail = r.Outcome switch
                {
                    ImageOutcome.Failed => r.Detail ?? string.Empty,
                    ImageOutcome.Removed => r.TagPath ?? string.Empty,
                    _ => $"{r.TagPath}{(r.BytesPulled > 0 ? $" ({SizeText.Format(r.BytesPulled)} pulled)" : string.Empty)}",
                };
                table.AddRow(
                    new Text(r.LineNumber == 0 ? "-" : r.LineNumber.ToString(CultureInfo.InvariantCulture)),
                    new Text(r.Platform is null or "linux/amd64" ? r.Reference : $"{r.Reference} ({r.Platform})"),
                    new Markup($"[{color}]{r.Outcome.ToString().ToLowerInvariant()}[/]"),
                    new Text(detail));
            }

            console.Write(table);
        }

        var failed = report.Count(ImageOutcome.Failed);
        var line = string.Create(
            CultureInfo.InvariantCulture,
            $"{report.Results.Count(r => r.Outcome != ImageOutcome.Removed)} images: {report.Count(ImageOutcome.Current)} current, {report.Count(ImageOutcome.Published)} published, {report.Count(ImageOutcome.Updated)} updated, {failed} failed; {report.Count(ImageOutcome.Removed)} paths removed; {SizeText.Format(report.BytesPulled)} pulled in {report.Duration.TotalSeconds:0.0} s");
        console.MarkupLine(failed > 0 || report.Problems.Count > 0 ? $"[red]{Markup.Escape(line)}[/]" : $"[green]{Markup.Escape(line)}[/]");
        if (failed > 0)
        {
            console.MarkupLine("[red]Failed images keep their last published version; nothing of them was half-written.[/]");
        }
    }
}
