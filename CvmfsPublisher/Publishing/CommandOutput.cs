namespace CvmfsImages.Publisher.Publishing;

/// <summary>How one <c>cvmfs_server</c> run ended.</summary>
internal sealed record CommandOutput(string CommandLine, int ExitCode, string StandardOutput, string StandardError, Exception? InputError);
