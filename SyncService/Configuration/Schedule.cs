using System.Globalization;
using Quartz;

namespace CvmfsImages.Sync.Configuration;

/// <summary>A schedule: a fixed interval or a Quartz cron expression.</summary>
internal sealed record Schedule(TimeSpan? Interval, string? Cron)
{
    /// <summary>Parses <paramref name="text"/>; <see cref="OptionsException"/> naming <paramref name="key"/> when it is neither.</summary>
    public static Schedule Parse(string? text, string key)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            throw new OptionsException(key, "must be an interval (00:02:00) or a cron expression (0 30 3 * * ?)");
        }

        if (TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out var interval))
        {
            return interval >= TimeSpan.FromSeconds(1) && interval <= TimeSpan.FromDays(366)
                ? new Schedule(interval, null)
                : throw new OptionsException(key, $"interval '{text}' must be between 1 second and 366 days");
        }

        try
        {
            _ = new CronExpression(text);
        }
        catch (FormatException ex)
        {
            throw new OptionsException(key, $"'{text}' is neither an interval (00:02:00) nor a cron expression: {ex.Message}", ex);
        }

        return new Schedule(null, text);
    }

    public override string ToString() => Interval is { } i ? "every " + i.ToString("c", CultureInfo.InvariantCulture) : "cron " + Cron;
}
