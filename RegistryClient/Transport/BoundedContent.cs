using System.Buffers;

namespace CvmfsImages.Registry.Transport;

/// <summary>Reads response bodies up to a bound: registries and token servers are not trusted to send small bodies.</summary>
internal static class BoundedContent
{
    /// <summary>The body, or null when it is longer than <paramref name="max"/> bytes (read no further than that).</summary>
    public static async Task<byte[]?> ReadAsync(HttpContent content, int max, CancellationToken cancellationToken)
    {
        if (content.Headers.ContentLength > max)
        {
            return null;
        }

        await using var stream = await content.ReadAsStreamAsync(cancellationToken);
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
