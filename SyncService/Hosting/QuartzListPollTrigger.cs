using Quartz;

namespace CvmfsImages.Sync.Hosting;

/// <summary><see cref="IListPollTrigger"/> for <c>serve</c>: fires the Quartz <see cref="ListPollJob"/> once, now.</summary>
internal sealed class QuartzListPollTrigger(ISchedulerFactory schedulers) : IListPollTrigger
{
    public async Task TriggerListPollAsync(CancellationToken ct)
    {
        var scheduler = await schedulers.GetScheduler(ct).ConfigureAwait(false);
        await scheduler.TriggerJob(new JobKey(ListPollJob.JobName), ct).ConfigureAwait(false);
    }
}
