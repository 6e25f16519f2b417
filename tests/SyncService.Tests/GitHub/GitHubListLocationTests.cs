using CvmfsImages.Sync.GitHub;
using Xunit;

namespace CvmfsImages.Tests.SyncService.GitHub;

public sealed class GitHubListLocationTests
{
    [Fact]
    public void A_full_location_fills_owner_repository_path_and_branch()
    {
        var options = new GitHubOptions();
        GitHubListLocation.Apply("github:opensciencegrid/cvmfs-singularity-sync/docker_images.txt@master", options);
        Assert.Equal(("opensciencegrid", "cvmfs-singularity-sync", "docker_images.txt", "master"), (options.Owner, options.Repository, options.Path, options.Branch));
    }

    [Fact]
    public void The_bare_scheme_keeps_the_section()
    {
        var options = new GitHubOptions { Owner = "o", Repository = "r" };
        GitHubListLocation.Apply("github:", options);
        Assert.Equal(("o", "r", "images.txt", null), (options.Owner, options.Repository, options.Path, options.Branch));
    }

    [Theory]
    [InlineData("github:onlyowner")]
    [InlineData("github:/repo")]
    public void A_malformed_location_names_Sync_List(string location)
    {
        var ex = Assert.Throws<GitHubOptionsException>(() => GitHubListLocation.Apply(location, new GitHubOptions()));
        Assert.Equal("Sync:List", ex.Key);
    }
}
