namespace CvmfsImages.Sync.Web.Api;

/// <summary>
/// The pass running now: its job, start, targets seen (<see cref="Total"/>) and finished (<see cref="Done"/>), the
/// percentage, counts by stage (lower-case stage names) and the targets being pulled, flattened or published.
/// </summary>
internal sealed record ApiPass(string Job, DateTimeOffset StartedAt, int Total, int Done, int Percent, IReadOnlyDictionary<string, int> Stages, IReadOnlyList<ApiActive> Active);
