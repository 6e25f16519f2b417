using System.Buffers;

namespace CvmfsImages.Registry.Transport;

/// <summary>
/// Reads bodies up to a bound: registries, token servers and any other peer are not trusted to send small bodies. The
/// one bounded reader of the code base: the sync service's GitHub client and webhook read through it too.
/// </summary>
public static class BoundedContent
{
    /// <summary>The body, or null when it is longer than <paramref name="max"/> bytes (read no further than that).</summary>
    public static async Task<byte[]?> ReadAsync(HttpContent content, int max, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(content);
        if (content.Headers.ContentLength > max)
        {
            return null;
        }

        await using var stream = await content.ReadAsStreamAsync(cancellationToken);
        return await ReadAsync(stream, max, cancellationToken);
    }

    /// <summary>The rest of the stream, or null when it is longer than <paramref name="max"/> bytes (read no further than that).</summary>
    public static async Task<byte[]?> ReadAsync(Stream stream, int max, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentOutOfRangeException.ThrowIfNegative(max);
        var buffer = ArrayPool<byte>.Shared.Rent(Math.Min(max + 1, 1024 * 1024));
        try
        {
            using var output = new MemoryStream();
            int read;
            while ((read = await stream.ReadAsync(buffer.AsMemory(0, Math.Min(buffer.Length, max + 1 - (int)output.Length)), cancellationToken)) > 0)
            {
                output.Write(buffer, 0, read);
                if (output.Length > max)
                {
                    return null;
                }
            }

            return output.ToArray();
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Up to <paramref name="max"/> bytes of the body (the rest ignored), for error messages; never throws on I/O.</summary>
    public static async Task<byte[]> ReadPrefixAsync(HttpContent content, int max, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(content);
        try
        {
            await using var stream = await content.ReadAsStreamAsync(cancellationToken);
            var buffer = new byte[max];
            var total = 0;
            int read;
            while (total < max && (read = await stream.ReadAsync(buffer.AsMemory(total, max - total), cancellationToken)) > 0)
            {
                total += read;
            }

            return buffer[..total];
        }
        catch (Exception ex) when (ex is IOException or HttpRequestException)
        {
            return [];
        }
    }
}
