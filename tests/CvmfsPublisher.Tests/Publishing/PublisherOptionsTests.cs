using Xunit;
using CvmfsImages.Publisher.Publishing;

namespace CvmfsImages.Tests.CvmfsPublisher.Publishing;

public sealed class PublisherOptionsTests
{
    [Fact]
    public void Defaults_are_the_documented_ones()
    {
        var options = new PublisherOptions();
        Assert.Equal(PublisherBackends.Directory, options.Backend);
        Assert.Equal(PathStyle.Osg, options.PathStyle);
        Assert.Equal("/cvmfs", options.MountRoot);
        Assert.Equal(TimeSpan.FromDays(2), options.GcGracePeriod);
        Assert.False(options.UseIngest);
    }

    [Theory]
    [InlineData("Backend", "nfs")]
    [InlineData("Root", null)]
    [InlineData("Root", "relative/path")]
    [InlineData("RepositoryName", "bad name")]
    [InlineData("StagingDirectory", null)]
    [InlineData("UseIngest", "directory")]
    [InlineData("MaxImagesPerTransaction", "0")]
    [InlineData("GcBatchSize", "-1")]
    public void Validate_names_the_bad_key(string key, string? value)
    {
        var options = key is "RepositoryName" or "StagingDirectory"
            ? new PublisherOptions { Backend = PublisherBackends.CvmfsServer, RepositoryName = "repo.example.org", StagingDirectory = "/var/tmp/s" }
            : new PublisherOptions { Root = "/srv/images" };
        switch (key)
        {
            case "Backend": options.Backend = value!; break;
            case "Root": options.Root = value; break;
            case "RepositoryName": options.RepositoryName = value; break;
            case "StagingDirectory": options.StagingDirectory = value; break;
            case "UseIngest": options.UseIngest = true; break;
            case "MaxImagesPerTransaction": options.MaxImagesPerTransaction = int.Parse(value!, System.Globalization.CultureInfo.InvariantCulture); break;
            case "GcBatchSize": options.GcBatchSize = int.Parse(value!, System.Globalization.CultureInfo.InvariantCulture); break;
        }

        var error = Assert.Throws<ArgumentException>(options.Validate);
        Assert.Equal($"Publisher:{key}", error.ParamName);
    }
}
