using CvmfsImages.Sync.Planning;
using Xunit;

namespace CvmfsImages.Tests.SyncService.Planning;

public sealed class GlobExpansionTests
{
    [Fact]
    public void Matching_tags_are_kept_in_version_order()
    {
        var (tags, matched) = GlobExpansion.Expand("1.*", ["latest", "1.10", "1.9", "2.0", "1.2", "1.9"], cap: 10);
        Assert.Equal(["1.2", "1.9", "1.10"], tags);
        Assert.Equal(3, matched);
    }

    [Fact]
    public void The_cap_keeps_the_highest_and_reports_how_many_matched()
    {
        var all = Enumerable.Range(1, 250).Select(i => $"v{i}").ToList();
        var (tags, matched) = GlobExpansion.Expand("v*", all, cap: 3);
        Assert.Equal(["v248", "v249", "v250"], tags);
        Assert.Equal(250, matched);
    }

    [Theory]
    [InlineData("1.9", "1.10", -1)]
    [InlineData("v2", "v10", -1)]
    [InlineData("2023.1", "2023.1-cuda", -1)]
    [InlineData("007", "7", -1)] // numerically equal: ordinal order breaks the tie
    [InlineData("abc", "abc", 0)]
    public void Version_order_compares_digit_runs_as_numbers(string x, string y, int sign)
    {
        Assert.Equal(sign, Math.Sign(VersionOrder.Instance.Compare(x, y)));
        Assert.Equal(-sign, Math.Sign(VersionOrder.Instance.Compare(y, x)));
    }
}
