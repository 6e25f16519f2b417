using CvmfsImages.Sync.GitHub;
using CvmfsImages.TestSupport;

namespace CvmfsImages.Tests.SyncService.GitHub;

/// <summary>Options pointing at a <see cref="GitHubFake"/>.</summary>
internal static class GitHubTestOptions
{
    public static GitHubOptions For(GitHubFake fake, string? databasePath = null)
    {
        var options = new GitHubOptions
        {
            ApiBaseUrl = fake.ApiBaseUrl,
            Owner = fake.Owner,
            Repository = fake.Repository,
            Path = "images.txt",
            Token = fake.Token,
            BotLogin = fake.BotLogin,
            NoticeDatabase = databasePath ?? "unused.db",
            RequestTimeout = TimeSpan.FromSeconds(30),
        };
        options.Validate();
        return options;
    }
}
