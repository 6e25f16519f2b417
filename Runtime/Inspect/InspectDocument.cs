namespace CvmfsImages.Runtime.Inspect;

/// <summary><c>inspect --json</c>: <c>{"data":{"attributes":{...}},"type":"container"}</c>.</summary>
internal sealed class InspectDocument
{
    public InspectData Data { get; set; } = new();

    public string Type { get; set; } = "container";
}
