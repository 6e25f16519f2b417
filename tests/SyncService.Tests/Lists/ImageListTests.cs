using CvmfsImages.Sync.Lists;
using Xunit;

namespace CvmfsImages.Tests.SyncService.Lists;

public sealed class ImageListTests
{
    [Fact]
    public void Parses_comments_blank_lines_defaults_registries_pins_and_globs_with_line_numbers()
    {
        var digest = "sha256:" + new string('a', 64);
        var text = string.Join('\n',
            "# a comment",
            "",
            "   python:3.12   # trailing comment",
            "opensciencegrid/osgvo-el9",
            "ghcr.io/org/tool:v1.*",
            $"quay.io/org/img@{digest}",
            "\t",
            "127.0.0.1:5000/team/app:2.0");
        var list = ImageList.Parse(text, "images.txt");

        Assert.Empty(list.Problems);
        Assert.Equal([3, 4, 5, 6, 8], list.Entries.Select(e => e.LineNumber));
        Assert.Equal("docker.io/library/python:3.12", list.Entries[0].Reference.ToString());
        Assert.Equal("python:3.12", list.Entries[0].Text);
        Assert.Equal("docker.io/opensciencegrid/osgvo-el9:latest", list.Entries[1].Reference.ToString());
        Assert.True(list.Entries[2].IsGlob);
        Assert.Equal("v1.*", list.Entries[2].TagPattern);
        Assert.Equal("ghcr.io/org/tool", list.Entries[2].Repository.ToString());
        Assert.Equal(digest, list.Entries[3].Reference.Digest.ToString());
        Assert.Null(list.Entries[3].Reference.Tag);
        Assert.Equal("127.0.0.1:5000", list.Entries[4].Reference.Registry);
        Assert.All(list.Entries.Where(e => !e.IsGlob), e => Assert.Null(e.TagPattern));
    }

    [Theory]
    [InlineData("python 3.12", "whitespace")]
    [InlineData("Python:3.12", "Python")]
    [InlineData("python:-bad", "tag")]
    [InlineData("python:3.*@sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "glob cannot be combined")]
    [InlineData("python:3.[12", "unclosed")]
    [InlineData("python:3.*/x", "python:3.*/x")]
    [InlineData("python@sha256:abc", "64 hex")]
    [InlineData("ghcr.io/Org/tool:1", "ghcr.io/Org/tool:1")]
    [InlineData("python:3$", "python:3$")]
    public void A_malformed_line_is_a_problem_with_its_number_and_the_others_still_parse(string bad, string mentioned)
    {
        var list = ImageList.Parse($"python:3.12\n{bad}  # why\nubuntu:24.04\n", "images.txt");

        var problem = Assert.Single(list.Problems);
        Assert.Equal(2, problem.LineNumber);
        Assert.Contains(mentioned, problem.Message, StringComparison.Ordinal);
        Assert.Equal([1, 3], list.Entries.Select(e => e.LineNumber));
    }

    [Fact]
    public void Windows_line_endings_and_a_missing_final_newline_are_fine()
    {
        var list = ImageList.Parse("python:3.12\r\n# x\r\nubuntu:24.04", "images.txt");
        Assert.Empty(list.Problems);
        Assert.Equal([1, 3], list.Entries.Select(e => e.LineNumber));
    }

    [Fact]
    public void Lines_beyond_the_limit_are_reported_not_read()
    {
        var text = string.Join('\n', Enumerable.Range(0, 10).Select(i => $"img{i}:1"));
        var list = ImageList.Parse(text, "images.txt", maxLines: 4);
        Assert.Equal(4, list.Entries.Count);
        var problem = Assert.Single(list.Problems);
        Assert.Equal(5, problem.LineNumber);
        Assert.Contains("more than 4 lines", problem.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_overlong_line_is_refused()
    {
        var list = ImageList.Parse("python:" + new string('a', 5000), "images.txt");
        Assert.Contains("longer than", Assert.Single(list.Problems).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Binary_garbage_never_throws()
    {
        var random = new Random(42);
        var chars = Enumerable.Range(0, 20_000).Select(_ => (char)random.Next(0, 0x3000)).ToArray();
        var list = ImageList.Parse(new string(chars), "garbage");
        Assert.All(list.Problems, p => Assert.True(p.LineNumber > 0));
    }
}
