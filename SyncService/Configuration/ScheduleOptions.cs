namespace CvmfsImages.Sync.Configuration;

/// <summary>
/// The schedules of <c>serve</c> (section <c>Sync:Schedules</c>). Each is an interval (<c>00:02:00</c>) or a Quartz cron
/// expression with seconds (<c>0 30 3 * * ?</c>).
/// </summary>
public sealed class ScheduleOptions
{
    /// <summary>Re-read the list; a changed list syncs what changed.</summary>
    public string ListPoll { get; set; } = "00:02:00";

    /// <summary>Re-resolve every tag and glob.</summary>
    public string FullResync { get; set; } = "04:00:00";

    /// <summary>Garbage collection of unreferenced images.</summary>
    public string GarbageCollection { get; set; } = "0 30 3 * * ?";

    public void Validate()
    {
        Schedule.Parse(ListPoll, "Sync:Schedules:ListPoll");
        Schedule.Parse(FullResync, "Sync:Schedules:FullResync");
        Schedule.Parse(GarbageCollection, "Sync:Schedules:GarbageCollection");
    }
}
