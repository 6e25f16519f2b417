using System.Globalization;
using CvmfsImages.Sync.Web.Api;

namespace CvmfsImages.Sync.Web;

internal static partial class StatusPage
{
    private static readonly string[] States = ["published", "updating", "waiting", "failing"];

    private static void Images(Html h, IReadOnlyList<ApiImage> images, string? query, string? state)
    {
        h.Raw("<section id=\"images\"><h2>Images</h2>");
        h.Raw("<form id=\"filters\" role=\"search\"><label>Filter <input id=\"filter\" name=\"q\" type=\"search\" autocomplete=\"off\" placeholder=\"namespace, image or tag\"")
            .Attr("value", query).Raw("></label> <label>State <select id=\"state\" name=\"state\"><option value=\"\">all</option>");
        foreach (var s in States)
        {
            h.Raw("<option").Attr("value", s).Raw(s == state ? " selected" : string.Empty).Raw(">").Raw(s).Raw("</option>");
        }

        h.Raw("</select></label> <span id=\"shown\" class=\"muted\"></span></form>");
        h.Raw("<table id=\"image-table\"><thead><tr><th>Path</th><th>State</th><th>Digest</th><th>Platform</th><th>Size</th><th>Files</th><th>Published</th><th>List line</th><th>PR</th></tr></thead><tbody>");
        foreach (var image in images)
        {
            var search = string.Join(' ', [image.Path, .. image.Sources, image.Line?.Text ?? string.Empty]).ToLowerInvariant();
            h.Raw("<tr").Attr("data-state", image.State).Attr("data-search", search).Attr("data-path", image.Path).Raw(">");
            h.Raw("<td data-label=\"Path\"><a").Attr("href", Html.ImageHref(image.Path)).Raw(">").Text(image.Path).Raw("</a>");
            if (image.CvmfsPath is { } cvmfs)
            {
                h.Raw(" <button type=\"button\" class=\"copy\"").Attr("data-copy", cvmfs).Raw(">Copy path</button><br><code>").Text(cvmfs).Raw("</code>");
            }

            h.Raw("</td><td data-label=\"State\"><span class=\"state ").Raw(image.State).Raw("\">").Raw(image.State).Raw("</span>");
            if (image.Stage is { } stage && image.State != "published")
            {
                h.Raw(" <span class=\"muted\">").Text(stage).Raw("</span>");
            }

            if (image.State == "failing" && image.Detail is { } detail)
            {
                h.Raw("<div class=\"reason\">").Text(detail).Raw("</div>");
            }

            h.Raw("</td><td data-label=\"Digest\"><code").Attr("title", image.ManifestDigest).Raw(">").Plain(Html.Short(image.ManifestDigest)).Raw("</code></td>");
            h.Raw("<td data-label=\"Platform\">").Text(image.Platform ?? "—").Raw("</td>");
            h.Raw("<td data-label=\"Size\">").Plain(Html.Bytes(image.Size)).Raw("</td>");
            h.Raw("<td data-label=\"Files\">").Plain(Html.Count(image.Files)).Raw("</td>");
            h.Raw("<td data-label=\"Published\">").Plain(Html.Time(image.PublishedAt)).Raw("</td>");
            h.Raw("<td data-label=\"List line\" class=\"line\">");
            Line(h, image.Line);
            h.Raw("</td><td data-label=\"PR\">");
            PullRequest(h, image.PullRequest);
            h.Raw("</td></tr>");
        }

        h.Raw("</tbody></table>");
        if (images.Count == 0)
        {
            h.Raw("<p class=\"muted\">Nothing is published or listed yet.</p>");
        }

        h.Raw("</section>\n");
    }

    private static void Line(Html h, ApiLine? line)
    {
        if (line is null)
        {
            h.Raw("—");
            return;
        }

        h.Raw("<span class=\"muted\">").Plain(line.Number.ToString(CultureInfo.InvariantCulture)).Raw(":</span> <code>").Text(line.Text).Raw("</code>");
    }

    private static void PullRequest(Html h, ApiPullRequest? pr)
    {
        if (pr is null)
        {
            h.Raw("—");
            return;
        }

        h.Raw("<a rel=\"noreferrer\"").Attr("href", pr.Url).Raw(">#").Plain(pr.Number.ToString(CultureInfo.InvariantCulture)).Raw("</a>");
    }

    private static void Failing(Html h, IReadOnlyList<ApiImage> failing)
    {
        h.Raw("<section id=\"failing\"><h2>Failing</h2>");
        if (failing.Count == 0)
        {
            h.Raw("<p class=\"muted\">Nothing is failing.</p></section>\n");
            return;
        }

        h.Raw("<table><thead><tr><th>Image</th><th>Reason</th><th>Since</th><th>Next retry</th></tr></thead><tbody>");
        foreach (var image in failing)
        {
            h.Raw("<tr").Attr("data-path", image.Path).Raw("><td data-label=\"Image\"><a").Attr("href", Html.ImageHref(image.Path)).Raw(">").Text(image.Path).Raw("</a>");
            if (image.CvmfsPath is not null)
            {
                h.Raw(" <span class=\"muted\">(the published version stays)</span>");
            }

            h.Raw("</td><td data-label=\"Reason\" class=\"reason\">").Text(image.Detail ?? "—").Raw("</td>");
            h.Raw("<td data-label=\"Since\">").Plain(Html.Time(image.FailingSince)).Raw("</td>");
            h.Raw("<td data-label=\"Next retry\">").Plain(Html.Time(image.NextRetry)).Raw(" <span class=\"muted\">(full resync; a list change retries sooner)</span></td></tr>");
        }

        h.Raw("</tbody></table></section>\n");
    }

    private static void Unreferenced(Html h, IReadOnlyList<ApiUnreferenced> images)
    {
        h.Raw("<section id=\"unreferenced\"><h2>Unreferenced images</h2>");
        if (images.Count == 0)
        {
            h.Raw("<p class=\"muted\">Every image is referenced by a tag.</p></section>\n");
            return;
        }

        h.Raw("<table><thead><tr><th>Image</th><th>Platform</th><th>Size</th><th>Unreferenced since</th><th>Removable from</th><th>Removed by the GC of</th></tr></thead><tbody>");
        foreach (var image in images)
        {
            h.Raw("<tr><td data-label=\"Image\"><code").Attr("title", image.ConfigDigest).Raw(">").Plain(Html.Short(image.ConfigDigest)).Raw("</code> ")
                .Text(string.Join(", ", image.Sources)).Raw("</td>");
            h.Raw("<td data-label=\"Platform\">").Text(image.Platform).Raw("</td><td data-label=\"Size\">").Plain(Html.Bytes(image.Size)).Raw("</td>");
            h.Raw("<td data-label=\"Unreferenced since\">").Plain(image.UnreferencedSince is null ? "found by the next GC" : Html.Time(image.UnreferencedSince)).Raw("</td>");
            h.Raw("<td data-label=\"Removable from\">").Plain(Html.Time(image.RemovableAt)).Raw("</td>");
            h.Raw("<td data-label=\"Removed by the GC of\">").Plain(Html.Time(image.RemovalAt)).Raw("</td></tr>");
        }

        h.Raw("</tbody></table></section>\n");
    }

    private static void Problems(Html h, ApiStatus status)
    {
        if (status.Problems.Count == 0 && status.Warnings.Count == 0)
        {
            return;
        }

        h.Raw("<section id=\"problems\"><h2>List problems and warnings of the last pass</h2><ul>");
        foreach (var problem in status.Problems)
        {
            h.Raw("<li class=\"bad\">").Text(problem).Raw("</li>");
        }

        foreach (var warning in status.Warnings)
        {
            h.Raw("<li>").Text(warning).Raw("</li>");
        }

        h.Raw("</ul></section>\n");
    }

    private static void Passes(Html h, IReadOnlyList<ApiPassSummary> passes)
    {
        h.Raw("<section id=\"passes\"><h2>Last passes</h2>");
        if (passes.Count == 0)
        {
            h.Raw("<p class=\"muted\">No pass has finished yet.</p></section>\n");
            return;
        }

        h.Raw("<table><thead><tr><th>Started</th><th>Scope</th><th>Duration</th><th>Current</th><th>Published</th><th>Updated</th><th>Removed</th><th>Failed</th><th>Pulled</th></tr></thead><tbody>");
        foreach (var p in passes)
        {
            h.Raw(p.Succeeded ? "<tr>" : "<tr class=\"bad\">");
            h.Raw("<td data-label=\"Started\">").Plain(Html.Time(p.StartedAt)).Raw("</td><td data-label=\"Scope\">").Text(p.Scope).Raw("</td>");
            h.Raw("<td data-label=\"Duration\">").Plain(p.DurationSeconds.ToString("0.0", CultureInfo.InvariantCulture)).Raw(" s</td>");
            foreach (var (label, n) in new[] { ("Current", p.Current), ("Published", p.Published), ("Updated", p.Updated), ("Removed", p.Removed), ("Failed", p.Failed) })
            {
                h.Raw("<td").Attr("data-label", label).Raw(">").Plain(n.ToString(CultureInfo.InvariantCulture)).Raw("</td>");
            }

            h.Raw("<td data-label=\"Pulled\">").Plain(Html.Bytes(p.BytesPulled)).Raw("</td></tr>");
        }

        h.Raw("</tbody></table></section>\n");
    }
}
