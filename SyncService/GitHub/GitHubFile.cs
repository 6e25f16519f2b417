namespace CvmfsImages.Sync.GitHub;

/// <summary>A file read through the contents API: its text and the ETag to send next time.</summary>
internal sealed record GitHubFile(string Text, string? ETag);
