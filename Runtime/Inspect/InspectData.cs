namespace CvmfsImages.Runtime.Inspect;

/// <summary><c>{"attributes": ...}</c>.</summary>
internal sealed class InspectData
{
    public InspectAttributes Attributes { get; set; } = new();
}
