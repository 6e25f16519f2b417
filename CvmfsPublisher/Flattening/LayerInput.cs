namespace CvmfsImages.Publisher.Flattening;

/// <summary>
/// One layer of an image, in order from the base: its media type (chooses the decompressor), its digest (named in
/// every error) and a way to open its compressed bytes. The flattener opens each layer once, reads it to the end and
/// disposes the stream; it opens the next layer while it applies one, so two streams may be open and read at once (from
/// different threads), and a stream may be disposed from another thread to end a blocked read (failure, cancellation).
/// The caller verifies the compressed digest (a registry client does that while streaming).
/// </summary>
/// <param name="MediaType">An OCI or Docker layer media type (gzip, zstd or plain tar).</param>
/// <param name="Digest">The layer's (compressed) digest, <c>sha256:&lt;hex&gt;</c>, used in messages.</param>
/// <param name="OpenAsync">Opens the layer's bytes as stored (compressed).</param>
public sealed record LayerInput(string MediaType, string Digest, Func<CancellationToken, Task<Stream>> OpenAsync)
{
    /// <summary>
    /// The layer's DiffID from the image config (<c>sha256:&lt;hex&gt;</c> of the uncompressed tar). When set and
    /// <see cref="FlattenOptions.VerifyDiffIds"/> is true, the uncompressed stream is hashed while it is read and a
    /// mismatch fails the image.
    /// </summary>
    public string? DiffId { get; init; }
}
