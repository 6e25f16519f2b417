namespace CvmfsImages.Registry;

/// <summary>
/// The credentials file (<see cref="RegistryClientOptions.DockerConfigPath"/>) cannot be read or is neither a Docker
/// <c>config.json</c> nor an OSG <c>--docker-creds</c> file. The message names the file and what was expected, never
/// a secret from it.
/// </summary>
public sealed class CredentialsFileException : Exception
{
    /// <summary>What either accepted format looks like, for messages.</summary>
    public const string Expected =
        "expected a Docker config.json ({\"auths\": {\"<registry>\": {\"auth\": \"<base64 of user:password>\"}}}) "
        + "or an OSG --docker-creds file ({\"https://<registry>\": {\"username\": \"...\", \"password\": \"...\"}})";

    public CredentialsFileException()
        : this("(unknown)", "is invalid", null)
    {
    }

    public CredentialsFileException(string message)
        : base(message)
    {
        FilePath = "(unknown)";
        Problem = message;
    }

    public CredentialsFileException(string message, Exception? innerException)
        : base(message, innerException)
    {
        FilePath = "(unknown)";
        Problem = message;
    }

    /// <param name="path">The file.</param>
    /// <param name="problem">What is wrong, as a phrase after the file's name (<c>is not valid JSON</c>).</param>
    /// <param name="innerException">The I/O or JSON error, when there is one.</param>
    /// <param name="withExpected">Whether the message ends with both accepted formats (not for I/O errors).</param>
    public CredentialsFileException(string path, string problem, Exception? innerException, bool withExpected = true)
        : base($"the credentials file '{path}' {problem}{(withExpected ? "; " + Expected : string.Empty)}", innerException)
    {
        FilePath = path;
        Problem = problem;
    }

    /// <summary>The file's path.</summary>
    public string FilePath { get; }

    /// <summary>What is wrong with it (without the file name and the expected formats).</summary>
    public string Problem { get; }
}
