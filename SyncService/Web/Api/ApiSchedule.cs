namespace CvmfsImages.Sync.Web.Api;

/// <summary>A schedule of <c>serve</c> and when it runs next (null: not scheduled again).</summary>
internal sealed record ApiSchedule(string Job, DateTimeOffset? NextRun);
