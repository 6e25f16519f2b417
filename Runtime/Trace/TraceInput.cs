namespace CvmfsImages.Runtime.Trace;

/// <summary>What one trace record says about a container start.</summary>
internal sealed record TraceInput(
    DateTimeOffset Time,
    uint Uid,
    string UserName,
    int Pid,
    int ParentPid,
    string Action,
    string Image,
    string ResolvedImage,
    PublishedImage? Published,
    string WorkingDirectory,
    IReadOnlyList<string> Command,
    IReadOnlyDictionary<string, string> Environment,
    IReadOnlyList<string> TraceEnvironment);
