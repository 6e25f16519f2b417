using CvmfsImages.Sync.GitHub;
using Xunit;

namespace CvmfsImages.Tests.SyncService.GitHub;

public sealed class MarkdownTextTests
{
    [Theory]
    [InlineData("@org/team", "@")]
    [InlineData("<script>alert(1)</script>", "<")]
    [InlineData("a | b", "|")]
    [InlineData("**bold** [link](http://x)", "**")]
    [InlineData("fixes #12", "#12")]
    [InlineData("line\nbreak", "\n")]
    public void Escaped_text_carries_no_markup(string input, string forbidden)
    {
        var escaped = MarkdownText.Escape(input);
        Assert.DoesNotContain(forbidden, escaped.Replace("\\*", string.Empty, StringComparison.Ordinal), StringComparison.Ordinal);
    }

    [Fact]
    public void Escaped_text_is_bounded()
    {
        Assert.Equal(101, MarkdownText.Escape(new string('a', 5000), 100).Length);
    }

    [Fact]
    public void A_code_span_cannot_be_closed_or_split_by_its_content()
    {
        var code = MarkdownText.Code("a`b|c\nd");
        Assert.Equal("`a'b¦c d`", code);
    }

    [Fact]
    public void Bidi_overrides_and_zero_width_characters_cannot_reorder_or_hide_text()
    {
        const string trojan = "vo/tool:1\u202E\u2066evil\u200B";
        Assert.Equal("`vo/tool:1  evil `", MarkdownText.Code(trojan));
        Assert.DoesNotContain('\u202E', MarkdownText.Escape(trojan));
        Assert.DoesNotContain('\u200B', MarkdownText.Escape(trojan));
    }
}
