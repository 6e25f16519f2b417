using CvmfsImages.Registry;
using CvmfsImages.Sync.Configuration;
using CvmfsImages.Sync.GitHub;
using CvmfsImages.Sync.Lists;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace CvmfsImages.Sync;

/// <summary>
/// The GitHub part of the composition root (the <see cref="AddExtensions"/> hook). Active only when
/// <c>Sync:List</c> is <c>github:</c> or <c>github:OWNER/REPO[/PATH][@BRANCH]</c>: then the <c>GitHub</c> section is
/// bound and validated (naming the bad key), and the list source, the PR checker, the publish-notice observer, the
/// webhook listener and the <see cref="GitHubWorker"/> hosted service are registered.
/// </summary>
internal static partial class SyncServices
{
    static partial void AddExtensions(IServiceCollection services, SyncSettings settings)
    {
        if (!GitHubListLocation.IsGitHub(settings.Sync.List))
        {
            return;
        }

        GitHubOptions options;
        try
        {
            options = BindGitHubOptions(settings);
        }
        catch (GitHubOptionsException ex)
        {
            // The command line and serve report OptionsException as a usage error naming the key.
            throw new OptionsException(ex.Key, ex.Problem, ex);
        }

        var check = new PullRequestCheckSettings(
            [.. settings.Sync.EffectivePlatforms.Select(Platform.Parse)],
            settings.Publisher.PathStyle,
            PublishedRoot(settings.Publisher))
        {
            MaxTagsPerGlob = settings.Sync.MaxTagsPerGlob ?? 100,
            Registries = new CheckedRegistries(options.AllowedRegistries, settings.Registry.Hosts.Keys),
        };

        services.AddSingleton(options);
        services.AddSingleton(check);
        services.AddSingleton(sp => new GitHubClient(options, sp.GetRequiredService<ILogger<GitHubClient>>(), sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton<IListSource>(sp => new GitHubListSource(sp.GetRequiredService<GitHubClient>(), options, sp.GetRequiredService<ILogger<GitHubListSource>>()));
        services.AddSingleton(sp => new PullRequestChecker(
            sp.GetRequiredService<GitHubClient>(), sp.GetRequiredService<RegistryClient>(), options, check, sp.GetRequiredService<ILogger<PullRequestChecker>>()));
        if (options.PublishNotices)
        {
            services.AddSingleton(sp => new PublishNoticeObserver(
                sp.GetRequiredService<GitHubClient>(), options, check, sp.GetRequiredService<ILogger<PublishNoticeObserver>>(), sp.GetRequiredService<TimeProvider>()));
            services.AddSingleton<ISyncObserver>(sp => sp.GetRequiredService<PublishNoticeObserver>());
        }

        if (options.Webhook)
        {
            services.AddSingleton(sp => new GitHubWebhookListener(options, sp.GetRequiredService<ILogger<GitHubWebhookListener>>()));
        }

        services.AddSingleton<GitHubWorker>();
        services.AddHostedService(sp => sp.GetRequiredService<GitHubWorker>());
    }

    private static GitHubOptions BindGitHubOptions(SyncSettings settings)
    {
        var options = new GitHubOptions();
        try
        {
            settings.Configuration.GetSection(GitHubOptions.SectionName).Bind(options, o => o.ErrorOnUnknownConfiguration = true);
        }
        catch (InvalidOperationException ex)
        {
            throw new GitHubOptionsException($"is invalid: {ex.Message}", ex);
        }

        GitHubListLocation.Apply(settings.Sync.List, options);
        options.NoticeDatabase = Path.GetFullPath(string.IsNullOrWhiteSpace(options.NoticeDatabase) || options.NoticeDatabase == new GitHubOptions().NoticeDatabase
            ? Path.Combine(settings.Sync.StateDirectory, "github-notices.db")
            : options.NoticeDatabase);
        options.Validate();
        return options;
    }
}
