using System.Globalization;
using CvmfsImages.Sync.Web.Api;

namespace CvmfsImages.Sync.Web;

internal static partial class StatusPage
{
    public static string Image(ApiImage image, ApiStatus status)
    {
        var h = Head($"cvmfs-image-sync: {image.Path}");
        h.Raw("<body").Attr("data-passes-ended", status.PassesEnded.ToString(CultureInfo.InvariantCulture)).Attr("data-running", status.Pass is null ? "false" : "true").Raw(">\n");
        h.Raw("<header><h1>cvmfs-image-sync</h1><p class=\"repo\"><a href=\"/\">All images</a> · Repository ").Text(status.Repository).Raw("</p></header>\n<main><section id=\"image\">");
        h.Raw("<h2>").Text(image.Path).Raw("</h2><dl>");
        Row(h, "State", image.State + (image.Stage is { } s && image.State != "published" ? " (" + s + ")" : string.Empty));
        if (image.CvmfsPath is { } cvmfs)
        {
            h.Raw("<dt>Path</dt><dd><code id=\"cvmfs-path\">").Text(cvmfs).Raw("</code> <button type=\"button\" class=\"copy\"").Attr("data-copy", cvmfs).Raw(">Copy path</button></dd>");
        }

        Row(h, "Manifest digest", image.ManifestDigest);
        Row(h, "Config digest", image.ConfigDigest);
        Row(h, "Platform", image.Platform);
        Row(h, "Size", Html.Bytes(image.Size));
        Row(h, "Files", Html.Count(image.Files));
        Row(h, "Published", Html.Time(image.PublishedAt));
        Row(h, "Sources", image.Sources.Count == 0 ? null : string.Join(", ", image.Sources));
        h.Raw("<dt>List line</dt><dd class=\"line\">");
        Line(h, image.Line);
        h.Raw("</dd>");
        Row(h, "Last result", image.LastResult);
        if (image.State == "failing")
        {
            h.Raw("<dt>Reason</dt><dd class=\"reason\">").Text(image.Detail).Raw("</dd>");
            Row(h, "Failing since", Html.Time(image.FailingSince));
            Row(h, "Next retry", Html.Time(image.NextRetry) + " (full resync; a list change retries sooner)");
        }
        else if (image.Detail is { } detail)
        {
            Row(h, "Detail", detail);
        }

        h.Raw("<dt>Pull request</dt><dd>");
        PullRequest(h, image.PullRequest);
        h.Raw("</dd></dl><p><a").Attr("href", "/api/images/" + Html.ImageHref(image.Path)["/images/".Length..]).Raw(">JSON</a></p></section></main>\n");
        Footer(h, status.GeneratedAt);
        return h.ToString();
    }

    private static void Row(Html h, string name, string? value) =>
        h.Raw("<dt>").Raw(name).Raw("</dt><dd>").Text(value ?? "—").Raw("</dd>");
}
