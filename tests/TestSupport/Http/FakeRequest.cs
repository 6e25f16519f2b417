namespace CvmfsImages.TestSupport.Http;

/// <summary>A request as the <see cref="FakeHttpServer"/> received it.</summary>
public sealed record FakeRequest(string Method, string Target, IReadOnlyDictionary<string, string> Headers, byte[] Body)
{
    /// <summary>The target without its query.</summary>
    public string Path => Target.Split('?', 2)[0];

    /// <summary>The query without '?', or empty.</summary>
    public string Query => Target.Contains('?', StringComparison.Ordinal) ? Target.Split('?', 2)[1] : string.Empty;

    /// <summary>A header's value (names are case-insensitive), or null.</summary>
    public string? Header(string name) => Headers.TryGetValue(name, out var value) ? value : null;
}
