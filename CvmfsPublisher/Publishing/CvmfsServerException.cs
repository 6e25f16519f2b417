namespace CvmfsImages.Publisher.Publishing;

/// <summary>A <c>cvmfs_server</c> command failed: its command line, exit code and (the end of) its output.</summary>
public sealed class CvmfsServerException : IOException
{
    public CvmfsServerException()
    {
    }

    public CvmfsServerException(string message)
        : base(message)
    {
    }

    public CvmfsServerException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public CvmfsServerException(string command, int exitCode, string standardError, string standardOutput, Exception? innerException = null)
        : base(Describe(command, exitCode, standardError, standardOutput), innerException)
    {
        Command = command;
        ExitCode = exitCode;
        StandardError = standardError;
        StandardOutput = standardOutput;
    }

    /// <summary>The command line that failed.</summary>
    public string? Command { get; }

    /// <summary>Its exit code (-1: it did not start or was killed).</summary>
    public int ExitCode { get; }

    /// <summary>The end of what it wrote to stderr.</summary>
    public string? StandardError { get; }

    /// <summary>The end of what it wrote to stdout (the real command prints many of its errors there).</summary>
    public string? StandardOutput { get; }

    private static string Describe(string command, int exitCode, string standardError, string standardOutput)
    {
        var error = standardError.Trim();
        var output = standardOutput.Trim();
        var quoted = error.Length > 0 ? $"stderr: {error}" : output.Length > 0 ? $"no stderr; stdout: {output}" : "no output";
        return $"'{command}' failed with exit code {exitCode}; {quoted}";
    }
}
