namespace CvmfsImages.Runtime.Inspect;

/// <summary>The attributes of <c>inspect --json</c>, in Singularity's shape.</summary>
internal sealed class InspectAttributes
{
    public Dictionary<string, string>? Labels { get; set; }

    public string? Runscript { get; set; }

    public string? Environment { get; set; }
}
