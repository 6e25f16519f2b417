namespace CvmfsImages.Sync.Configuration;

/// <summary>A configuration value is wrong; <see cref="Key"/> names it (<c>Sync:MaxConcurrentPulls</c>).</summary>
public sealed class OptionsException : Exception
{
    public OptionsException(string key, string problem, Exception? innerException = null)
        : base($"configuration '{key}' {problem}", innerException)
    {
        Key = key;
    }

    public OptionsException()
        : this("?", "is invalid")
    {
    }

    public OptionsException(string message)
        : this("?", message)
    {
    }

    public OptionsException(string message, Exception innerException)
        : this("?", message, innerException)
    {
    }

    public string Key { get; }
}
