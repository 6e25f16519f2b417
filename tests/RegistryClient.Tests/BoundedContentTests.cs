using CvmfsImages.Registry.Transport;
using Xunit;

namespace CvmfsImages.Tests.RegistryClient;

/// <summary>The one bounded body reader (registries, token servers, the GitHub client and webhook read through it).</summary>
public sealed class BoundedContentTests
{
    [Theory]
    [InlineData(0, 0)]
    [InlineData(1000, 1000)]
    [InlineData(3 * 1024 * 1024, 3 * 1024 * 1024)] // bounds beyond the 1 MiB read buffer
    public async Task A_body_of_at_most_max_bytes_is_read_whole(int size, int max)
    {
        var data = new byte[size];
        new Random(size).NextBytes(data);

        Assert.Equal(data, await BoundedContent.ReadAsync(new MemoryStream(data), max, TestContext.Current.CancellationToken));
        Assert.Equal(data, await BoundedContent.ReadAsync(new StreamContent(new MemoryStream(data)), max, TestContext.Current.CancellationToken));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(4096)]
    [InlineData(2 * 1024 * 1024)]
    public async Task A_longer_body_is_null_and_read_no_further_than_one_byte_past_the_bound(int max)
    {
        var endless = new CountingEndlessStream();

        Assert.Null(await BoundedContent.ReadAsync(endless, max, TestContext.Current.CancellationToken));
        Assert.Equal(max + 1L, endless.Delivered);
    }

    [Fact]
    public async Task A_declared_length_over_the_bound_is_refused_without_reading()
    {
        var endless = new CountingEndlessStream();
        var content = new StreamContent(endless);
        content.Headers.ContentLength = 10_001;

        Assert.Null(await BoundedContent.ReadAsync(content, 10_000, TestContext.Current.CancellationToken));
        Assert.Equal(0, endless.Delivered);
    }

    [Fact]
    public async Task A_prefix_is_at_most_max_bytes_and_empty_when_the_body_fails()
    {
        var prefix = await BoundedContent.ReadPrefixAsync(new StreamContent(new CountingEndlessStream()), 100, TestContext.Current.CancellationToken);
        Assert.Equal(Enumerable.Repeat((byte)'x', 100), prefix);

        Assert.Empty(await BoundedContent.ReadPrefixAsync(new StreamContent(new FailingStream()), 100, TestContext.Current.CancellationToken));
    }

    /// <summary>An endless body of 'x' that counts what it handed out.</summary>
    private sealed class CountingEndlessStream : Stream
    {
        public long Delivered { get; private set; }

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count)
        {
            buffer.AsSpan(offset, count).Fill((byte)'x');
            Delivered += count;
            return count;
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }

    private sealed class FailingStream : Stream
    {
        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => throw new IOException("connection reset");

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
