namespace CvmfsImages.Sync;

/// <summary>
/// Asks the running service to poll the list now (a webhook saw a push to the list's branch). <c>serve</c> implements
/// it over its scheduler (<see cref="Hosting.QuartzListPollTrigger"/>), so callers need not know how jobs are run;
/// the commands that run once register none.
/// </summary>
public interface IListPollTrigger
{
    /// <summary>Starts a list poll as soon as the scheduler can (after a running pass); does not wait for it.</summary>
    Task TriggerListPollAsync(CancellationToken ct);
}
