namespace CvmfsImages.TestSupport;

/// <summary>One request the <see cref="GitHubFake"/> received: method, path with query, headers (lower-case names), body.</summary>
public sealed record GitHubFakeRequest(string Method, string PathAndQuery, IReadOnlyDictionary<string, string> Headers, string Body)
{
    /// <summary>The path without the query.</summary>
    public string Path => PathAndQuery.Split('?')[0];

    /// <summary>A header's value, or null.</summary>
    public string? Header(string name) => Headers.TryGetValue(name.ToLowerInvariant(), out var value) ? value : null;
}
