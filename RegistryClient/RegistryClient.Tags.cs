using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using CvmfsImages.Registry.Json;
using CvmfsImages.Registry.Names;
using CvmfsImages.Registry.Transport;

namespace CvmfsImages.Registry;

public sealed partial class RegistryClient
{
    private const int MaxTagPages = 10_000;
    private const int MaxTagPageBytes = 16 * 1024 * 1024;

    /// <summary>Every tag of the repository, following the <c>Link</c> header across pages, in the registry's order.</summary>
    public Task<IReadOnlyList<string>> ListTagsAsync(RepositoryName repository, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(repository);
        var reference = repository.ToString();
        return PullAsync<IReadOnlyList<string>>(repository.Registry, reference, async endpoint =>
        {
            var tags = new List<string>();
            var seen = new HashSet<string>(StringComparer.Ordinal);
            var query = _options.TagPageSize > 0 ? string.Create(CultureInfo.InvariantCulture, $"?n={_options.TagPageSize}") : string.Empty;
            Uri? next = endpoint.Resolve($"v2/{repository.Path}/tags/list{query}");
            for (var page = 0; next is not null; page++)
            {
                if (page >= MaxTagPages || !seen.Add(next.PathAndQuery))
                {
                    throw new RegistryException($"tag list of {reference}: the registry's pages do not end (after {page} pages)", reference) { Registry = endpoint.Registry };
                }

                using var response = await SendToAsync(next, endpoint, HttpMethod.Get, PullScope(repository), null, cancellationToken);
                if (!response.IsSuccessStatusCode)
                {
                    throw await ErrorAsync(response, endpoint, "tag list of", reference, cancellationToken);
                }

                var body = await BoundedContent.ReadAsync(response.Content, MaxTagPageBytes, cancellationToken)
                    ?? throw new RegistryException($"tag list of {reference}: a page is larger than {MaxTagPageBytes} bytes", reference) { Registry = endpoint.Registry };
                JsonTagList? parsed;
                try
                {
                    parsed = JsonSerializer.Deserialize(body, RegistryJsonContext.Default.JsonTagList);
                }
                catch (JsonException ex)
                {
                    throw new RegistryException($"tag list of {reference}: not valid JSON ({ex.Message})", reference, innerException: ex) { Registry = endpoint.Registry };
                }

                tags.AddRange(parsed?.Tags ?? []);
                next = NextLink(response, next);
                if (next is not null && !string.Equals(next.Authority, endpoint.Authority, StringComparison.OrdinalIgnoreCase))
                {
                    throw new RegistryException($"tag list of {reference}: the next page is on another host ({next.Authority})", reference) { Registry = endpoint.Registry };
                }
            }

            return tags;
        }, cancellationToken);
    }

    /// <summary>The <c>rel="next"</c> target of a <c>Link</c> header (<c>&lt;/v2/x/tags/list?last=a&amp;n=2&gt;; rel="next"</c>).</summary>
    internal static Uri? NextLink(HttpResponseMessage response, Uri current)
    {
        if (!response.Headers.NonValidated.TryGetValues("Link", out var values))
        {
            return null;
        }

        foreach (var value in values)
        {
            foreach (Match match in LinkPattern().Matches(value))
            {
                if (match.Groups["rel"].Value.Split(' ').Contains("next", StringComparer.OrdinalIgnoreCase)
                    && Uri.TryCreate(current, match.Groups["uri"].Value, out var next))
                {
                    return next;
                }
            }
        }

        return null;
    }

    [GeneratedRegex("""<(?<uri>[^>]*)>\s*;\s*rel\s*=\s*"?(?<rel>[^";,]*)"?""", RegexOptions.CultureInvariant, matchTimeoutMilliseconds: 1000)]
    private static partial Regex LinkPattern();
}
