using System.Globalization;

namespace CvmfsImages.Registry.Transport;

/// <summary>
/// <c>Retry-After</c> in the three forms seen in the wild: delta seconds (<c>120</c>), an HTTP date
/// (<c>Wed, 21 Oct 2015 07:28:00 GMT</c>) and a Unix epoch timestamp (<c>1700000000</c>, sent by Docker Hub's APIs).
/// A number of at least <see cref="EpochThreshold"/> is an epoch time: no server asks for a 30-year wait.
/// </summary>
internal static class RetryAfter
{
    /// <summary>1e9 s: 2001-09-09 as an epoch time, 31 years as a delay.</summary>
    public const long EpochThreshold = 1_000_000_000;

    /// <summary>The wait the header asks for (never negative), or null when it is absent or unreadable.</summary>
    public static TimeSpan? Parse(HttpResponseMessage response, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(response);
        return response.Headers.NonValidated.TryGetValues("Retry-After", out var values)
            ? Parse(values.FirstOrDefault(), now)
            : null;
    }

    /// <summary>Parses one header value relative to <paramref name="now"/>.</summary>
    public static TimeSpan? Parse(string? value, DateTimeOffset now)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return null;
        }

        value = value.Trim();
        if (long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var number))
        {
            if (number < EpochThreshold)
            {
                return TimeSpan.FromSeconds(number);
            }

            return number > DateTimeOffset.MaxValue.ToUnixTimeSeconds()
                ? null
                : NonNegative(DateTimeOffset.FromUnixTimeSeconds(number) - now);
        }

        // RFC 9110 IMF-fixdate, plus the obsolete forms DateTimeOffset understands with the invariant culture.
        if (DateTimeOffset.TryParseExact(value, "r", CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal, out var date)
            || DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out date))
        {
            return NonNegative(date - now);
        }

        return null;
    }

    private static TimeSpan NonNegative(TimeSpan delay) => delay < TimeSpan.Zero ? TimeSpan.Zero : delay;
}
