namespace CvmfsImages.Runtime.Cli;

/// <summary>One option of the grammar: long name, optional one-letter name, whether it takes a value, and its effect.</summary>
internal sealed record OptionSpec(string Long, char? Short, bool TakesValue, Action<Invocation, string> Apply, string Help)
{
    public string Display => Short is { } s ? $"-{s}|--{Long}" : $"--{Long}";
}
