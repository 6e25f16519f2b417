using CvmfsImages.Sync.GitHub;
using CvmfsImages.TestSupport;
using Xunit;

namespace CvmfsImages.Tests.SyncService.GitHub;

public sealed class ChangedLinesTests
{
    [Fact]
    public void Plus_lines_of_every_hunk_are_numbered_in_the_new_file()
    {
        const string patch = """
            @@ -1,4 +1,5 @@ # a heading
             a
            -b
            +B
            +b2
             c
             d
            @@ -20,3 +21,4 @@
             x
            +y
             z
            \ No newline at end of file
            """;

        Assert.Equal([2, 3, 22], ChangedLines.FromPatch(patch).Order());
        Assert.Equal(["B", "b2", "y"], ChangedLines.AddedText(patch));
    }

    [Fact]
    public void A_new_file_patch_counts_every_line()
    {
        Assert.Equal([1, 2], ChangedLines.FromPatch("@@ -0,0 +1,2 @@\n+one\n+two").Order());
    }

    [Fact]
    public void A_malformed_hunk_header_is_refused()
    {
        Assert.Throws<InvalidDataException>(() => ChangedLines.FromPatch("@@ -1 +x @@\n+a"));
    }

    [Fact]
    public void Comparing_texts_finds_added_and_changed_lines_counting_repeats_but_not_moves()
    {
        const string old = "a\nb\nc\n";
        const string now = "c\na\nb\nB\nb\n";

        Assert.Equal([4, 5], ChangedLines.FromTexts(old, now).Order());
    }

    [Theory]
    [InlineData("a\nb\nc\n", "a\nx\nc\ny\n")]
    [InlineData("", "one\ntwo\n")]
    [InlineData("1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12\n", "1\n2\nnew\n3\n4\n5\n6\n7\n8\n9\n10\n11\nchanged\n")]
    public void The_patch_and_the_text_comparison_agree_on_what_a_diff_adds(string old, string now)
    {
        Assert.Equal(ChangedLines.FromTexts(old, now).Order(), ChangedLines.FromPatch(UnifiedDiff.Create(old, now)).Order());
    }
}
