using CvmfsImages.Publisher.Publishing;
using CvmfsImages.Sync.Lists;
using Xunit;

namespace CvmfsImages.Tests.SyncService.Lists;

public sealed class ListChecksTests
{
    [Fact]
    public void The_same_image_spelled_twice_is_a_duplicate_naming_both_lines()
    {
        var list = ImageList.Parse("python\n# c\ndocker.io/library/python:latest\nubuntu:24.04\n", "images.txt");
        var problem = Assert.Single(ListChecks.FindConflicts(list.Entries, PathStyle.Osg));
        Assert.Equal(3, problem.LineNumber);
        Assert.Equal(1, problem.OtherLineNumber);
        Assert.Contains("line 1", problem.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Two_registries_that_share_a_path_collide_in_the_osg_layout_but_not_in_the_registry_layout()
    {
        var list = ImageList.Parse("docker.io/org/tool:1\nghcr.io/org/tool:1\n", "images.txt");

        var problem = Assert.Single(ListChecks.FindConflicts(list.Entries, PathStyle.Osg));
        Assert.Equal(2, problem.LineNumber);
        Assert.Equal(1, problem.OtherLineNumber);
        Assert.Contains("org/tool:1", problem.Message, StringComparison.Ordinal);
        Assert.Empty(ListChecks.FindConflicts(list.Entries, PathStyle.Registry));
    }

    [Fact]
    public void Identical_globs_are_duplicates_and_different_globs_are_not()
    {
        var list = ImageList.Parse("gromacs/gromacs:2023.*\ngromacs/gromacs:2024.*\ngromacs/gromacs:2023.*\n", "images.txt");
        var problem = Assert.Single(ListChecks.FindConflicts(list.Entries, PathStyle.Osg));
        Assert.Equal((3, 1), (problem.LineNumber, problem.OtherLineNumber));
    }
}
