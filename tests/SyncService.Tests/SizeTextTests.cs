using CvmfsImages.Sync;
using Xunit;

namespace CvmfsImages.Tests.SyncService;

public sealed class SizeTextTests
{
    [Theory]
    [InlineData(0L, "0 B")]
    [InlineData(1023L, "1023 B")]
    [InlineData(1024L, "1.0 KiB")]
    [InlineData(1536L, "1.5 KiB")]
    [InlineData(12_400_000L, "11.8 MiB")]
    [InlineData(1024L * 1024 * 1024 * 3 / 2, "1.5 GiB")]
    [InlineData(1024L * 1024 * 1024 * 1024 * 2, "2.0 TiB")]
    [InlineData(1024L * 1024 * 1024 * 1024 * 4096, "4096.0 TiB")]
    public void Formats_bytes_in_binary_units_with_one_decimal(long bytes, string expected) =>
        Assert.Equal(expected, SizeText.Format(bytes));
}
