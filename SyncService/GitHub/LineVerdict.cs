namespace CvmfsImages.Sync.GitHub;

/// <summary>The verdict on one line a PR adds or changes, with the path it will get under /cvmfs (when it has one).</summary>
internal sealed record LineVerdict(int LineNumber, string Text, LineVerdictKind Kind, string Message, string? CvmfsPath);
