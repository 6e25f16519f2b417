namespace CvmfsImages.Sync.Web.Api;

/// <summary>How many tags are published, list lines waiting, images failing and unreferenced images awaiting removal.</summary>
internal sealed record ApiCounts(int Published, int Waiting, int Failing, int Unreferenced);
