namespace CvmfsImages.Sync.Execution;

/// <summary>The result of one target (or one list line that never became a target) in a sync.</summary>
public sealed record ImageResult(int LineNumber, string Reference, string? TagPath, string? Platform, ImageOutcome Outcome, string? Detail)
{
    /// <summary>The platform manifest's digest, when the image is published.</summary>
    public string? ManifestDigest { get; init; }

    /// <summary>Bytes downloaded for it (layers and config), when it was pulled.</summary>
    public long BytesPulled { get; init; }
}
