using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;

namespace CvmfsImages.Sync.Web;

/// <summary>
/// Builds HTML where every piece of data goes through <see cref="HtmlEncoder"/> (text and attribute values alike) and
/// sits in a <c>&lt;bdi&gt;</c> where it is shown, so a direction override in a tag or registry message cannot turn the
/// text around it. Markup comes only from literals in this assembly.
/// </summary>
internal sealed class Html
{
    private readonly StringBuilder _b = new(16 * 1024);

    /// <summary>Appends markup written in this assembly (never data).</summary>
    public Html Raw(string markup)
    {
        _b.Append(markup);
        return this;
    }

    /// <summary>Appends data as text, isolated for direction.</summary>
    public Html Text(string? value)
    {
        _b.Append("<bdi>").Append(Encode(value)).Append("</bdi>");
        return this;
    }

    /// <summary>Appends data as text without the isolation (inside an element that isolates already).</summary>
    public Html Plain(string? value)
    {
        _b.Append(Encode(value));
        return this;
    }

    /// <summary>Appends <c> name="value"</c> with the value encoded.</summary>
    public Html Attr(string name, string? value)
    {
        _b.Append(' ').Append(name).Append("=\"").Append(Encode(value)).Append('"');
        return this;
    }

    public override string ToString() => _b.ToString();

    public static string Encode(string? value) => HtmlEncoder.Default.Encode(value ?? string.Empty);

    /// <summary>The page of a tag path: each segment escaped, the slashes kept.</summary>
    public static string ImageHref(string path) => "/images/" + string.Join('/', path.Split('/').Select(Uri.EscapeDataString));

    public static string Time(DateTimeOffset? time) =>
        time is { } t ? t.ToUniversalTime().ToString("yyyy-MM-dd HH:mm:ss 'UTC'", CultureInfo.InvariantCulture) : "—";

    public static string Bytes(long? bytes) => bytes is { } b ? SizeText.Format(b) : "—";

    public static string Count(long? value) => value is { } v ? v.ToString("N0", CultureInfo.InvariantCulture) : "—";

    public static string Short(string? digest) => digest is null ? "—" : digest.Length > 19 ? digest[..19] : digest;
}
