namespace CvmfsImages.Publisher.Flattening;

/// <summary>
/// The threads that turn one layer's stored bytes into the tar stream the applier reads, started as soon as the
/// layer is opened (the flattener opens the next layer while it applies this one):
/// <list type="number">
/// <item>"read": reads the stored (compressed) stream in large chunks (whatever the caller's stream does per read,
/// such as a digest check of a cached blob, happens here);</item>
/// <item>"unpack": checks the magic bytes and decompresses;</item>
/// <item>"sha256": hashes each decompressed chunk for the DiffID, in order, before the applier takes it;</item>
/// <item>the applier's own thread parses the tar and writes files.</item>
/// </list>
/// Each stage holds a few fixed buffers, so memory does not grow with the layer, and a stage ahead of its reader
/// waits. An error in a stage (the magic bytes, corrupt data, the source failing) is rethrown, with its type, by the
/// applier's next read, so a layer's errors surface in layer order, whenever they happened.
/// </summary>
internal sealed class LayerPipeline : IDisposable
{
    /// <summary>Size and number of the compressed stage's chunks.</summary>
    public const int CompressedChunkSize = 256 * 1024;

    public const int CompressedBuffers = 4;

    private readonly Stream _stored;
    private readonly ReadAheadStream _compressed;
    private readonly ReadAheadStream _tar;
    private bool _disposed;

    private LayerPipeline(LayerInput layer, Stream stored, bool hash, int index)
    {
        _stored = stored;
        var number = index + 1;
        _compressed = new ReadAheadStream(stored, $"layer{number} read", CompressedChunkSize, CompressedBuffers);
        _tar = new ReadAheadStream(() => LayerStreams.OpenTar(layer, _compressed, hash: false), $"layer{number} unpack", sha256Thread: hash ? $"layer{number} sha256" : null);

        // The limit on metadata headers sits on the reader's side, so its error comes with the header at fault
        // (the read-ahead delivers whole chunks).
        Tar = new TarMetadataLimitStream(_tar);
    }

    /// <summary>The uncompressed tar stream, for the applier's thread only.</summary>
    public Stream Tar { get; }

    /// <summary>Uncompressed bytes the applier has read so far.</summary>
    public long BytesRead => _tar.BytesRead;

    /// <summary>Starts the stages of <paramref name="layer"/> (the index counts from 0) over its opened bytes, which it then owns.</summary>
    public static LayerPipeline Start(LayerInput layer, Stream stored, bool hash, int index)
    {
        try
        {
            return new LayerPipeline(layer, stored, hash, index);
        }
        catch
        {
            stored.Dispose();
            throw;
        }
    }

    /// <summary><c>sha256:&lt;hex&gt;</c> of the uncompressed stream; only when hashing, once <see cref="Tar"/> is at its end.</summary>
    public string Digest() => _tar.Digest();

    /// <summary>
    /// Ends the stages: wakes them, disposes the layer's source (which ends a read blocked on the network), waits for
    /// both threads, then frees the decompressor and the buffers. Safe from any thread once the applier no longer reads.
    /// </summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        _tar.Stop();
        _compressed.Stop();
        _stored.Dispose();

        // The unpack stage owns the decompressor chain down to the read stage: its disposal waits for its thread,
        // then disposes the decompressor, whose disposal waits for the read stage's thread.
        Tar.Dispose();
        _compressed.Dispose();
    }
}
