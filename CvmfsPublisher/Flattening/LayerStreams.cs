using System.IO.Compression;
using CvmfsImages.Publisher.Native;

namespace CvmfsImages.Publisher.Flattening;

/// <summary>Turns a layer's stored bytes into its tar stream: checks the magic bytes against the declared compression, then decompresses.</summary>
internal static class LayerStreams
{
    private static ReadOnlySpan<byte> GzipMagic => [0x1f, 0x8b];

    private static ReadOnlySpan<byte> ZstdMagic => [0x28, 0xb5, 0x2f, 0xfd];

    /// <summary>The uncompressed tar stream of <paramref name="layer"/>, counting (and hashing when asked) as it is read.</summary>
    /// <exception cref="LayerException">Unknown media type, or bytes that do not match it.</exception>
    /// <param name="layer">The layer (media type and digest, for messages).</param>
    /// <param name="stored">Its bytes as stored (compressed).</param>
    /// <param name="hash">Whether to sha256 the uncompressed stream (for the DiffID).</param>
    public static DigestingStream OpenTar(LayerInput layer, Stream stored, bool hash)
    {
        if (!LayerMediaTypes.TryGetCompression(layer.MediaType, out var compression))
        {
            throw new LayerException(
                $"Layer {layer.Digest} has media type '{layer.MediaType}', which is not a layer type this flattener reads ({LayerMediaTypes.Supported}).",
                layer.Digest);
        }

        var peeked = PeekedStream.Create(stored, 4);
        var head = peeked.Head;
        var looksGzip = head.StartsWith(GzipMagic);
        var looksZstd = head.StartsWith(ZstdMagic);
        Stream tar;
        switch (compression)
        {
            case LayerCompression.Gzip when !looksGzip:
                throw Mismatch(layer, "gzip", head);
            case LayerCompression.Gzip:
                tar = new GZipStream(peeked, CompressionMode.Decompress);
                break;
            case LayerCompression.Zstd when !looksZstd:
                throw Mismatch(layer, "zstd", head);
            case LayerCompression.Zstd when !Zstd.IsAvailable:
                throw ZstdMissing(layer, null);
            case LayerCompression.Zstd:
                try
                {
                    tar = new ZstdDecompressionStream(peeked);
                }
                catch (DllNotFoundException ex)
                {
                    throw ZstdMissing(layer, ex);
                }

                break;
            default:
                if (looksGzip || looksZstd)
                {
                    throw new LayerException(
                        $"Layer {layer.Digest} is declared an uncompressed tar ('{layer.MediaType}') but its bytes are {(looksGzip ? "gzip" : "zstd")}.",
                        layer.Digest);
                }

                tar = peeked;
                break;
        }

        return new DigestingStream(tar, hash);
    }

    /// <summary>Reads <paramref name="stream"/> to its end, discarding what it reads.</summary>
    public static void Drain(Stream stream)
    {
        var buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(64 * 1024);
        try
        {
            while (stream.Read(buffer, 0, buffer.Length) > 0)
            {
            }
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>The error for a zstd layer on a host without libzstd: names the layer and what to install.</summary>
    internal static LayerException ZstdMissing(LayerInput layer, Exception? inner) =>
        new($"Layer {layer.Digest} is zstd-compressed ('{layer.MediaType}'), but the system's zstd library {Zstd.LibraryName} " +
            "cannot be loaded: install it (Debian/Ubuntu: apt-get install libzstd1; RHEL/Alma: dnf install libzstd).",
            layer.Digest,
            null,
            inner);

    private static LayerException Mismatch(LayerInput layer, string expected, ReadOnlySpan<byte> head) =>
        new($"Layer {layer.Digest} is declared {expected} ('{layer.MediaType}') but does not start with the {expected} magic bytes " +
            $"(found {(head.IsEmpty ? "no bytes at all" : Convert.ToHexStringLower(head))}).",
            layer.Digest);
}
