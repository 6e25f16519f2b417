using CvmfsImages.Publisher.Publishing;
using CvmfsImages.Sync.Configuration;
using Xunit;

namespace CvmfsImages.Tests.SyncService.Configuration;

/// <summary>The settings a takeover of OSG's repository uses: link style, mount path, the glob cap.</summary>
public sealed class TakeoverSettingsTests
{
    private static SyncSettings Load(params string[] settings) =>
        SyncSettings.Load(new CommandLineOverrides { Root = "/tmp/takeover-settings", Settings = settings }, includeSystemFile: false);

    [Fact]
    public void Defaults_are_relative_links_the_root_as_mount_path_and_no_glob_cap()
    {
        var settings = Load();
        Assert.Equal(TagLinks.Relative, settings.Publisher.TagLinks);
        Assert.Null(settings.Publisher.MountPath);
        Assert.Null(settings.Sync.MaxTagsPerGlob);
    }

    [Fact]
    public void Absolute_links_a_mount_path_and_a_cap_bind()
    {
        var settings = Load("Publisher:TagLinks=Absolute", "Publisher:MountPath=/cvmfs/singularity.opensciencegrid.org", "Sync:MaxTagsPerGlob=10");
        Assert.Equal(TagLinks.Absolute, settings.Publisher.TagLinks);
        Assert.Equal("/cvmfs/singularity.opensciencegrid.org", settings.Publisher.MountPath);
        Assert.Equal(10, settings.Sync.MaxTagsPerGlob);
    }

    [Theory]
    [InlineData("Publisher:TagLinks=Sideways", "Publisher")]
    [InlineData("Publisher:MountPath=cvmfs/relative", "Publisher:MountPath")]
    [InlineData("Publisher:MountPath=/", "Publisher:MountPath")]
    [InlineData("Sync:MaxTagsPerGlob=0", "Sync:MaxTagsPerGlob")]
    [InlineData("Sync:MaxTagsPerGlob=-5", "Sync:MaxTagsPerGlob")]
    [InlineData("Sync:MaxTagsPerGlob=lots", "Sync")]
    public void Nonsense_is_refused_naming_the_key(string setting, string key)
    {
        var error = Assert.Throws<OptionsException>(() => Load(setting));
        Assert.StartsWith(key, error.Key, StringComparison.Ordinal);
        Assert.Contains(setting.Split('=')[0].Split(':')[1], error.Message, StringComparison.Ordinal);
    }
}
