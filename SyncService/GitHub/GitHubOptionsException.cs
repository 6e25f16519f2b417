namespace CvmfsImages.Sync.GitHub;

/// <summary>A <see cref="GitHubOptions"/> value is invalid; <see cref="Key"/> names it as configuration spells it.</summary>
public sealed class GitHubOptionsException : Exception
{
    public GitHubOptionsException(string key, string problem)
        : base($"configuration {key} {problem}")
    {
        Key = key;
        Problem = problem;
    }

    public GitHubOptionsException()
        : this("GitHub", "is invalid")
    {
    }

    public GitHubOptionsException(string message, Exception innerException)
        : base(message, innerException)
    {
        Key = GitHubOptions.SectionName;
        Problem = message;
    }

    /// <summary>The bad key, e.g. <c>GitHub:Owner</c>.</summary>
    public string Key { get; }

    /// <summary>What is wrong with it, e.g. <c>is required</c>.</summary>
    public string Problem { get; }
}
