using System.Globalization;
using CvmfsImages.Sync.Web.Api;

namespace CvmfsImages.Sync.Web;

/// <summary>
/// The status page (<c>/</c>) and one tag's page (<c>/images/{path}</c>): server-rendered HTML from the same data as
/// the JSON API, a stylesheet and a small script served by the service itself (no CDN; works offline). The script
/// filters the image table, copies paths, and polls <c>/api/status</c>: every second while a pass runs (moving the
/// progress bar), every ten otherwise; the page reloads when a pass starts or ends. All data is escaped
/// (<see cref="Html"/>) and the Content-Security-Policy allows no inline script.
/// </summary>
internal static partial class StatusPage
{
    public static string Index(ApiStatus status, ApiImages images, string? query, string? state)
    {
        var h = Head($"cvmfs-image-sync: {status.Repository}");
        h.Raw("<body").Attr("data-passes-ended", status.PassesEnded.ToString(CultureInfo.InvariantCulture)).Attr("data-running", status.Pass is null ? "false" : "true").Raw(">\n");
        h.Raw("<header><h1>cvmfs-image-sync</h1><p class=\"repo\">Repository ").Text(status.Repository).Raw("</p></header>\n<main>\n");
        Pass(h, status);
        Summary(h, status);
        Images(h, images.Images, query, state);
        Failing(h, status.Failing);
        Unreferenced(h, status.Unreferenced);
        Problems(h, status);
        Passes(h, status.LastPasses);
        h.Raw("</main>\n");
        Footer(h, status.GeneratedAt);
        return h.ToString();
    }

    public static string NotFound(string path)
    {
        var h = Head("cvmfs-image-sync: not found");
        h.Raw("<body data-running=\"false\"><header><h1>cvmfs-image-sync</h1></header><main><section><h2>Not published</h2><p>No tag and no list line is known as ")
            .Text(path).Raw(".</p><p><a href=\"/\">All images</a></p></section></main>");
        Footer(h, null);
        return h.ToString();
    }

    private static Html Head(string title)
    {
        var h = new Html();
        h.Raw("<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">")
            .Raw("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">")
            .Raw("<title>").Plain(title).Raw("</title>")
            .Raw("<link rel=\"stylesheet\" href=\"/assets/status.css\"></head>\n");
        return h;
    }

    private static void Footer(Html h, DateTimeOffset? generated)
    {
        h.Raw("<footer><p>JSON: <a href=\"/api/status\">/api/status</a> · <a href=\"/api/images\">/api/images</a> · ")
            .Raw("<a href=\"/metrics\">/metrics</a> · <a href=\"/healthz\">/healthz</a> · <a href=\"/readyz\">/readyz</a>");
        if (generated is { } at)
        {
            h.Raw(" · as of ").Plain(Html.Time(at));
        }

        h.Raw("</p></footer>\n<script src=\"/assets/status.js\"></script>\n</body></html>\n");
    }

    private static void Pass(Html h, ApiStatus status)
    {
        h.Raw("<section id=\"pass\">");
        if (status.Pass is { } pass)
        {
            h.Raw("<h2>Pass running: ").Text(pass.Job).Raw("</h2>");
            h.Raw("<progress id=\"progress\" max=\"100\"").Attr("value", pass.Percent.ToString(CultureInfo.InvariantCulture)).Raw(">")
                .Plain(pass.Percent.ToString(CultureInfo.InvariantCulture)).Raw("%</progress>");
            h.Raw("<p id=\"progress-text\">").Plain(ProgressText(pass)).Raw("</p>");
            h.Raw("<ul id=\"active\">");
            foreach (var active in pass.Active)
            {
                h.Raw("<li>").Text(active.Stage).Raw(" ").Text(active.Path ?? active.Reference);
                if (active.Detail is { } detail)
                {
                    h.Raw(" <span class=\"muted\">").Text(detail).Raw("</span>");
                }

                h.Raw("</li>");
            }

            h.Raw("</ul>");
        }
        else
        {
            h.Raw("<h2>No pass running</h2><p id=\"progress-text\">Next: ");
            h.Plain(string.Join(" · ", status.Schedules.Select(s => $"{s.Job} {Html.Time(s.NextRun)}"))).Raw("</p>");
        }

        h.Raw("</section>\n");
    }

    /// <summary>The progress line the page and its script show (the script builds the same from /api/status).</summary>
    public static string ProgressText(ApiPass pass) => pass.Total == 0
        ? "reading the list and resolving…"
        : string.Create(CultureInfo.InvariantCulture, $"{pass.Done} of {pass.Total} images done ({pass.Percent}%), started {Html.Time(pass.StartedAt)}");

    private static void Summary(Html h, ApiStatus status)
    {
        var c = status.Counts;
        h.Raw("<section id=\"summary\" class=\"chips\">");
        Chip(h, "published", c.Published);
        Chip(h, "waiting", c.Waiting);
        Chip(h, "failing", c.Failing);
        Chip(h, "unreferenced", c.Unreferenced);
        h.Raw("</section>\n<section id=\"list\"><p>List ").Text(status.List.Source).Raw(": last read ").Plain(Html.Time(status.List.LastReadAt));
        if (status.List.LastError is { } error)
        {
            h.Raw(" <span class=\"bad\">failed: ").Text(error).Raw("</span> (last worked ").Plain(Html.Time(status.List.LastSuccessAt)).Raw(")");
        }

        h.Raw("</p></section>\n");
    }

    private static void Chip(Html h, string name, int count) =>
        h.Raw("<span class=\"chip ").Raw(name).Raw("\"><b>").Plain(count.ToString("N0", CultureInfo.InvariantCulture)).Raw("</b> ").Raw(name).Raw("</span>");
}
