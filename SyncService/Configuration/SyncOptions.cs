using System.Globalization;

namespace CvmfsImages.Sync.Configuration;

/// <summary>
/// The sync worker's options, bound from the configuration section <c>Sync</c>. Every default is here and in
/// <c>appsettings.json</c>; <see cref="Validate"/> refuses nonsense with the key's name.
/// </summary>
public sealed class SyncOptions
{
    public const string SectionName = "Sync";

    /// <summary>The image list: a file path (relative to the working directory) or a location another source understands.</summary>
    public string List { get; set; } = "images.txt";

    /// <summary>Platforms to publish; the first is primary (its images get the plain tag path).</summary>
    public IList<string> Platforms { get; } = [];

    /// <summary>How many references are resolved (HEAD) at once.</summary>
    public int MaxConcurrentResolves { get; set; } = 16;

    /// <summary>How many images are pulled and flattened at once.</summary>
    public int MaxConcurrentPulls { get; set; } = 2;

    /// <summary>
    /// Unset (the default, as OSG's script): a glob line stands for every matching tag. Set: the most tags one glob
    /// line publishes anew, the highest in version order (digit runs compared as numbers); a warning counts what it
    /// skips, and a skipped tag that is already published stays published (a limit never unpublishes).
    /// </summary>
    public int? MaxTagsPerGlob { get; set; }

    /// <summary>How many new images are staged before they are handed to the publisher in one batch.</summary>
    public int PublishBatchSize { get; set; } = 20;

    /// <summary>Lines after this many are ignored (with a problem reported).</summary>
    public int MaxListLines { get; set; } = 100_000;

    /// <summary>
    /// A pass that would remove more than this share (percent) of the published tags, and more than one, or all of
    /// them, stops before it changes anything (exit 5 from <c>sync</c>). 100 allows anything but emptying the repository.
    /// </summary>
    public int MaxRemovalPercent { get; set; } = 10;

    /// <summary>Lets a pass remove more than <see cref="MaxRemovalPercent"/> (<c>sync --once --allow-mass-removal</c>); meant for one run, not for the configuration of <c>serve</c>.</summary>
    public bool AllowMassRemoval { get; set; }

    /// <summary>Where the last result per image is kept (for <c>status</c>); never inside the repository.</summary>
    public string StateDirectory { get; set; } = "sync-state";

    public ScheduleOptions Schedules { get; } = new();

    /// <summary>The configured platforms, or linux/amd64 when none is.</summary>
    public IReadOnlyList<string> EffectivePlatforms => Platforms.Count == 0 ? ["linux/amd64"] : [.. Platforms.Distinct(StringComparer.Ordinal)];

    /// <summary>Throws <see cref="OptionsException"/> naming the first bad key.</summary>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(List))
        {
            throw new OptionsException("Sync:List", "must name the image list (a file path)");
        }

        foreach (var (platform, index) in Platforms.Select((p, i) => (p, i)))
        {
            if (!PlatformText.IsValid(platform))
            {
                throw new OptionsException(string.Create(CultureInfo.InvariantCulture, $"Sync:Platforms:{index}"), $"'{platform}' is not a platform like linux/amd64 or linux/arm64/v8");
            }
        }

        Positive(MaxConcurrentResolves, "Sync:MaxConcurrentResolves", 1024);
        Positive(MaxConcurrentPulls, "Sync:MaxConcurrentPulls", 64);
        if (MaxTagsPerGlob is { } cap)
        {
            Positive(cap, "Sync:MaxTagsPerGlob", 1_000_000);
        }

        Positive(PublishBatchSize, "Sync:PublishBatchSize", 10_000);
        Positive(MaxListLines, "Sync:MaxListLines", 10_000_000);
        if (MaxRemovalPercent is < 0 or > 100)
        {
            throw new OptionsException("Sync:MaxRemovalPercent", string.Create(CultureInfo.InvariantCulture, $"must be between 0 and 100, not {MaxRemovalPercent}"));
        }

        if (string.IsNullOrWhiteSpace(StateDirectory))
        {
            throw new OptionsException("Sync:StateDirectory", "must name a directory");
        }

        Schedules.Validate();
    }

    internal static void Positive(int value, string key, int max)
    {
        if (value < 1 || value > max)
        {
            throw new OptionsException(key, string.Create(CultureInfo.InvariantCulture, $"must be between 1 and {max}, not {value}"));
        }
    }
}
