using System.Collections.Concurrent;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using CvmfsImages.Sync.Configuration;

namespace CvmfsImages.Sync.GitHub;

/// <summary>
/// The GitHub side of <c>serve</c>: the webhook's events (when configured; the HTTP host serves the endpoint), the pull-request checks (every
/// <see cref="GitHubOptions.PullRequestPollInterval"/>, or at once for a webhook's PR) and the retry of publish notices
/// that met a GitHub outage. A push webhook asks the <see cref="IListPollTrigger"/> (in <c>serve</c>, the scheduler's
/// list-poll job) for a poll at once; without one (a command that runs once) it is not needed. One failing round is
/// logged and the next one tries again.
/// </summary>
internal sealed partial class GitHubWorker(
    GitHubOptions options,
    IServiceProvider services,
    TimeProvider time,
    ILogger<GitHubWorker> logger,
    IListPollTrigger? listPoll = null) : BackgroundService
{
    private readonly SemaphoreSlim _wake = new(0);
    private readonly ConcurrentQueue<int> _pullRequests = new();

    /// <summary>Raised after every PR-check round (for tests and metrics).</summary>
    public event EventHandler? RoundCompleted;

    /// <summary>Asks for a check of one PR now (a webhook does this).</summary>
    public void CheckSoon(int number)
    {
        _pullRequests.Enqueue(number);
        _wake.Release();
    }

    public override void Dispose()
    {
        _wake.Dispose();
        base.Dispose();
    }

    /// <summary>Subscribes to the webhook (when configured: it is served by the HTTP host) before the loop starts.</summary>
    public override Task StartAsync(CancellationToken cancellationToken)
    {
        Subscribe();
        return base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var checker = options.CheckPullRequests ? services.GetService<PullRequestChecker>() : null;
        var notices = options.PublishNotices ? services.GetService<PublishNoticeObserver>() : null;
        var full = true;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                if (checker is not null)
                {
                    if (full)
                    {
                        await checker.CheckOpenPullRequestsAsync(stoppingToken);
                    }

                    while (_pullRequests.TryDequeue(out var number))
                    {
                        await checker.CheckPullRequestAsync(number, stoppingToken);
                    }
                }

                if (notices is not null)
                {
                    await notices.FlushAsync(stoppingToken);
                }
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
            {
                LogRoundFailed(logger, ex.Message);
            }

            RoundCompleted?.Invoke(this, EventArgs.Empty);

            // Wait for the interval, or a webhook (which checks its own PR only).
            using (var waiting = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken))
            {
                var wake = _wake.WaitAsync(waiting.Token);
                var delay = Task.Delay(options.PullRequestPollInterval, time, waiting.Token);
                await Task.WhenAny(wake, delay);
                await waiting.CancelAsync();
                await Task.WhenAll(wake, delay).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                if (stoppingToken.IsCancellationRequested)
                {
                    return;
                }

                full = !wake.IsCompletedSuccessfully;
            }
        }
    }

    private void Subscribe()
    {
        if (services.GetService<GitHubWebhookListener>() is not { } listener)
        {
            return;
        }

        listener.PullRequestChanged += (_, e) =>
        {
            if (!e.Merged && e.Action != "closed")
            {
                CheckSoon(e.Number);
            }
        };
        listener.ListChanged += (_, _) => _ = TriggerListPollAsync();
    }

    private async Task TriggerListPollAsync()
    {
        if (listPoll is null)
        {
            return;
        }

        try
        {
            await listPoll.TriggerListPollAsync(CancellationToken.None);
            LogListPollTriggered(logger);
        }
#pragma warning disable CA1031 // A failed trigger only delays: the scheduled poll still comes. It is logged.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            LogRoundFailed(logger, ex.Message);
        }
    }
}
