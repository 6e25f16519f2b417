using CvmfsImages.Publisher.Flattening;
using CvmfsImages.TestSupport;
using Xunit;

namespace CvmfsImages.Tests.CvmfsPublisher.Flattening;

/// <summary>Compression by media type, magic bytes, DiffIDs, truncation, and what is left after a failure.</summary>
public sealed class LayerStreamTests
{
    private static TarBuilder Sample() => new TarBuilder().Directory("etc").File("etc/hello", "hello").File("big", new byte[300_000]);

    public static TheoryData<string, string> MediaTypes() => new()
    {
        { "application/vnd.oci.image.layer.v1.tar", "plain" },
        { "application/vnd.oci.image.layer.v1.tar+gzip", "gzip" },
        { "application/vnd.oci.image.layer.v1.tar+zstd", "zstd" },
        { "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip", "gzip" },
        { "application/vnd.docker.image.rootfs.diff.tar.gzip", "gzip" },
        { "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip", "gzip" },
        { "application/vnd.docker.image.rootfs.diff.tar", "plain" },
    };

    [Theory]
    [MemberData(nameof(MediaTypes))]
    public async Task Every_layer_media_type_is_read_and_its_diff_id_checked(string mediaType, string compression)
    {
        var tar = Sample().ToTar();
        var bytes = Compress(tar, compression);
        var layer = TestLayers.FromBytes(bytes, mediaType) with { DiffId = TarBuilder.Digest(tar) };
        using var tree = await TestLayers.FlattenAsync([layer]);
        Assert.Equal("hello", tree.Read("etc/hello"));
        Assert.Equal(300_000, new FileInfo(tree.Path("big")).Length);
    }

    [Theory]
    [InlineData("application/vnd.oci.image.layer.v1.tar+gzip", "plain")]
    [InlineData("application/vnd.oci.image.layer.v1.tar+gzip", "zstd")]
    [InlineData("application/vnd.oci.image.layer.v1.tar+zstd", "gzip")]
    [InlineData("application/vnd.oci.image.layer.v1.tar+zstd", "plain")]
    [InlineData("application/vnd.oci.image.layer.v1.tar", "gzip")]
    [InlineData("application/vnd.docker.image.rootfs.diff.tar.gzip", "empty")]
    public async Task Bytes_that_do_not_match_the_declared_compression_are_an_error_naming_the_layer(string mediaType, string actual)
    {
        var bytes = actual == "empty" ? [] : Compress(Sample().ToTar(), actual);
        var layer = TestLayers.FromBytes(bytes, mediaType, digest: "sha256:" + new string('a', 64));
        var ex = await TestLayers.FailsAsync<LayerException>([layer]);
        Assert.Equal(layer.Digest, ex.LayerDigest);
        Assert.Contains(layer.Digest, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unknown_media_type_is_an_error_naming_it()
    {
        var layer = TestLayers.FromBytes(Sample().ToTar(), "application/vnd.oci.image.config.v1+json");
        var ex = await TestLayers.FailsAsync<LayerException>([layer]);
        Assert.Contains("application/vnd.oci.image.config.v1+json", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_zstd_layer_without_libzstd_says_which_library_to_install_and_names_the_layer()
    {
        var layer = TestLayers.FromBytes(Compress(Sample().ToTar(), "zstd"), TestLayers.OciZstd, "sha256:" + new string('7', 64));
        var ex = LayerStreams.ZstdMissing(layer, null);
        Assert.Equal(layer.Digest, ex.LayerDigest);
        Assert.Contains(layer.Digest, ex.Message, StringComparison.Ordinal);
        Assert.Contains("libzstd.so.1", ex.Message, StringComparison.Ordinal);
        Assert.Contains("apt-get install libzstd1", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_wrong_diff_id_fails_and_leaves_nothing()
    {
        var layer = TestLayers.Gzip(Sample()) with { DiffId = "sha256:" + new string('0', 64) };
        var ex = await TestLayers.FailsAsync<LayerException>([layer]);
        Assert.Contains("DiffID", ex.Message, StringComparison.Ordinal);
        Assert.Contains(new string('0', 64), ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Diff_ids_from_the_config_are_used_when_the_layer_has_none_and_can_be_switched_off()
    {
        var config = ImageConfig.Parse("""{"rootfs":{"type":"layers","diff_ids":["sha256:0000000000000000000000000000000000000000000000000000000000000000"]}}"""u8);
        await TestLayers.FailsAsync<LayerException>([TestLayers.Gzip(Sample())], config);
        using var tree = await TestLayers.FlattenAsync([TestLayers.Gzip(Sample())], config, new FlattenOptions { VerifyDiffIds = false });
        Assert.True(tree.Exists("etc/hello"));
    }

    [Theory]
    [InlineData("gzip", 0.5)]
    [InlineData("gzip", 0.95)]
    [InlineData("zstd", 0.5)]
    [InlineData("plain", 0.5)]
    public async Task A_truncated_layer_fails_and_leaves_nothing(string compression, double keep)
    {
        var bytes = Compress(Sample().ToTar(), compression);
        var cut = bytes[..(int)(bytes.Length * keep)];
        var mediaType = compression switch { "gzip" => TestLayers.OciGzip, "zstd" => TestLayers.OciZstd, _ => TestLayers.OciTar };
        var layer = TestLayers.FromBytes(cut, mediaType);
        var ex = await TestLayers.FailsAsync<LayerException>([layer]);
        Assert.Equal(layer.Digest, ex.LayerDigest);
    }

    [Fact]
    public async Task Corrupt_gzip_data_fails_and_leaves_nothing()
    {
        var bytes = Sample().ToGzip();
        for (var i = 20; i < bytes.Length - 20; i += 7)
        {
            bytes[i] ^= 0x5A;
        }

        await TestLayers.FailsAsync<LayerException>([TestLayers.FromBytes(bytes, TestLayers.OciGzip)]);
    }

    [Fact]
    public async Task Garbage_in_a_plain_tar_names_the_layer()
    {
        var garbage = new byte[2048];
        Random.Shared.NextBytes(garbage);
        garbage[0] = (byte)'x';
        var ex = await TestLayers.FailsAsync<LayerException>([TestLayers.FromBytes(garbage, TestLayers.OciTar, "sha256:" + new string('b', 64))]);
        Assert.Contains(new string('b', 64), ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData('x', 3_000_000_000L)] // a PAX header claiming 3 GB
    [InlineData('S', 1000L)]           // GNU old sparse: not supported by System.Formats.Tar
    [InlineData('7', 1_000_000L)]      // a file header whose data never comes
    [InlineData('Z', 0L)]              // an unknown type
    public async Task Malformed_headers_are_an_error_naming_the_layer(char type, long size)
    {
        var bytes = new TarBuilder().File("ok", "ok").RawHeader("bad", type, size).ToTar();
        var layer = TestLayers.FromBytes(bytes, TestLayers.OciTar, "sha256:" + new string('f', 64));
        var ex = await TestLayers.FailsAsync<LayerException>([layer]);
        Assert.Equal(layer.Digest, ex.LayerDigest);
    }

    [Theory]
    [InlineData('x')]
    [InlineData('g')]
    [InlineData('L')]
    [InlineData('K')]
    public async Task Oversized_pax_headers_and_gnu_long_names_are_refused_before_they_are_read_into_memory(char type)
    {
        // 2 MiB of metadata compress to a few KiB: without the limit the tar reader would allocate it whole.
        const int size = TarMetadataLimitStream.MaxMetadataSize + 1;
        var tar = new TarBuilder().File("ok", "ok").RawHeader("././@LongLink", type, size).Raw(new byte[Padded(size)]).File("after", "after");
        var layer = TestLayers.FromBytes(tar.ToGzip(), TestLayers.OciGzip);
        var ex = await TestLayers.FailsAsync<LayerException>([layer]);
        Assert.Equal(layer.Digest, ex.LayerDigest);
        Assert.Contains(layer.Digest, ex.Message, StringComparison.Ordinal);
        Assert.True(ex.Message.Contains($"of {size} bytes", StringComparison.Ordinal), ex.Message);
        Assert.Contains("at most 1048576 bytes", ex.Message, StringComparison.Ordinal);
        Assert.Contains("after entry 'ok'", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_pax_header_just_under_the_limit_is_read()
    {
        var value = new string('v', 1_000_000);
        using var tree = await TestLayers.FlattenAsync([TestLayers.Gzip(new TarBuilder().FileWithXattrs("big-xattr", "content", ("user.big", value)).File("next", "next"))]);
        Assert.Equal("content", tree.Read("big-xattr"));
        Assert.Equal("next", tree.Read("next"));
        Assert.Equal(1, tree.Result.SkippedXattrs);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task The_limit_follows_a_pax_size_record_that_overrides_the_header_size(bool hostileAfter)
    {
        // "size=600" in a PAX header, then a ustar header that says 0: the data (600 bytes) is the PAX size.
        var data = Enumerable.Repeat((byte)'d', 600).ToArray();
        var tar = new TarBuilder().RawHeader("PaxHeaders/f", 'x', 12).Raw(Padded("12 size=600\n"u8.ToArray()))
            .RawHeader("f", '0', 0).Raw(Padded(data));
        if (hostileAfter)
        {
            tar.RawHeader("PaxHeaders/big", 'x', 3_000_000).Raw(new byte[Padded(3_000_000)]);
        }

        if (!hostileAfter)
        {
            using var tree = await TestLayers.FlattenAsync(tar.File("after", "after"));
            Assert.Equal(data, File.ReadAllBytes(tree.Path("f")));
            Assert.Equal("after", tree.Read("after"));
            return;
        }

        var ex = await TestLayers.RefusedAsync(tar);
        Assert.True(ex.Message.Contains("of 3000000 bytes", StringComparison.Ordinal), ex.Message);
        Assert.Contains("after entry 'f'", ex.Message, StringComparison.Ordinal);
    }

    private static int Padded(int size) => (size + 511) / 512 * 512;

    private static byte[] Padded(byte[] data)
    {
        var padded = new byte[Padded(data.Length)];
        data.CopyTo(padded, 0);
        return padded;
    }

    [Fact]
    public async Task A_failing_layer_source_removes_the_tree_and_keeps_the_cause()
    {
        var failing = new LayerInput(TestLayers.OciGzip, "sha256:" + new string('c', 64), _ => throw new HttpRequestException("registry went away"));
        var ex = await TestLayers.FailsAsync<HttpRequestException>([TestLayers.Gzip(Sample()), failing]);
        Assert.Equal("registry went away", ex.Message);
    }

    [Fact]
    public async Task An_io_error_in_the_middle_of_a_layer_removes_the_tree_and_keeps_the_error()
    {
        var tar = Sample().ToTar();
        var layer = new LayerInput(TestLayers.OciTar, "sha256:" + new string('e', 64), _ =>
            Task.FromResult<Stream>(new FailingStream(tar, failAfter: tar.Length / 2, new IOException("No space left on device"))));
        var ex = await TestLayers.FailsAsync<IOException>([TestLayers.Plain(new TarBuilder().File("first", "1")), layer]);
        Assert.Contains("No space left on device", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_full_disk_fails_with_an_io_error_naming_the_entry_and_removes_the_tree()
    {
        // A real ENOSPC from a small tmpfs: needs root and the right to mount (CI as root in a privileged container).
        using var temp = new TempDirectory("flatten-full");
        var small = Directory.CreateDirectory(temp.Combine("small")).FullName;
        if (!Environment.IsPrivilegedProcess || RunTool("mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", small) != 0)
        {
            Assert.Skip("needs root and permission to mount a tmpfs (for a real 'No space left on device')");
        }

        try
        {
            var tar = new TarBuilder().File("fits", new byte[64 * 1024]).File("too-big", new byte[1024 * 1024]);
            var root = Path.Combine(small, "root");
            var ex = await Assert.ThrowsAsync<IOException>(() => new ImageFlattener().FlattenAsync(
                [TestLayers.Gzip(tar)], ImageConfig.Empty, root, null, TestContext.Current.CancellationToken));
            Assert.True(ex.Message.Contains("disk full", StringComparison.Ordinal), ex.Message);
            Assert.Contains("'too-big'", ex.Message, StringComparison.Ordinal);
            Assert.False(Path.Exists(root));
            Assert.Empty(Directory.EnumerateFileSystemEntries(small));
        }
        finally
        {
            RunTool("umount", small);
        }
    }

    [Fact]
    public async Task Cancellation_stops_the_flatten_and_removes_the_tree()
    {
        using var cts = new CancellationTokenSource();
        var layer = new LayerInput(TestLayers.OciTar, "sha256:" + new string('d', 64), _ =>
        {
            cts.Cancel();
            return Task.FromResult<Stream>(new MemoryStream(Sample().ToTar()));
        });
        using var temp = new TempDirectory("flatten");
        var root = temp.Combine("root");
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            new ImageFlattener().FlattenAsync([layer], ImageConfig.Empty, root, null, cts.Token));
        Assert.False(Path.Exists(root));
    }

    [Fact]
    public async Task Cancellation_ends_a_read_that_would_block_forever()
    {
        using var cts = new CancellationTokenSource();
        var stalled = new StalledStream(new TarBuilder().File("a", "a").ToTar()[..1024], () => cts.Cancel());
        var layer = new LayerInput(TestLayers.OciTar, "sha256:" + new string('9', 64), _ => Task.FromResult<Stream>(stalled));
        using var temp = new TempDirectory("flatten");
        var root = temp.Combine("root");
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            new ImageFlattener().FlattenAsync([layer], ImageConfig.Empty, root, null, cts.Token));
        Assert.False(Path.Exists(root));
    }

    [Fact]
    public async Task The_target_must_not_exist_and_its_parent_must()
    {
        using var temp = new TempDirectory("flatten");
        var existing = Directory.CreateDirectory(temp.Combine("exists")).FullName;
        File.WriteAllText(Path.Combine(existing, "keep"), "keep");
        var flattener = new ImageFlattener();
        var ct = TestContext.Current.CancellationToken;
        var ex = await Assert.ThrowsAsync<IOException>(() => flattener.FlattenAsync([], ImageConfig.Empty, existing, null, ct));
        Assert.Contains(existing, ex.Message, StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(existing, "keep")), "an existing target must be left alone");
        await Assert.ThrowsAsync<IOException>(() => flattener.FlattenAsync([], ImageConfig.Empty, temp.Combine("no", "parent"), null, ct));
    }

    [Fact]
    public async Task Progress_is_reported_per_layer()
    {
        var reports = new List<FlattenProgress>();
        var progress = new SynchronousProgress(reports);
        using var tree = await TestLayers.FlattenAsync([TestLayers.Gzip(Sample()), TestLayers.Plain(new TarBuilder().File("x", "x"))], options: new FlattenOptions { Progress = progress });
        Assert.Equal(2, reports.Count(r => r.LayerDone));
        Assert.All(reports, r => Assert.Equal(2, r.LayerCount));
        Assert.True(reports.First(r => r.LayerDone && r.LayerIndex == 0).UncompressedBytes >= 300_000);
    }

    private static int RunTool(string file, params string[] args)
    {
        var start = new System.Diagnostics.ProcessStartInfo(file, args) { RedirectStandardError = true, RedirectStandardOutput = true };
        using var process = System.Diagnostics.Process.Start(start)!;
        process.StandardOutput.ReadToEnd();
        process.StandardError.ReadToEnd();
        process.WaitForExit();
        return process.ExitCode;
    }

    private static byte[] Compress(byte[] tar, string compression) => compression switch
    {
        "gzip" => TarBuilder.Gzip(tar),
        "zstd" => TarBuilder.Zstd(tar),
        _ => tar,
    };

    /// <summary>Returns the first bytes of <c>data</c>, then throws.</summary>
    private sealed class FailingStream(byte[] data, int failAfter, Exception error) : MemoryStream(data, 0, failAfter)
    {
        public override int Read(byte[] buffer, int offset, int count)
        {
            var n = base.Read(buffer, offset, count);
            return n > 0 ? n : throw error;
        }

        public override int Read(Span<byte> buffer)
        {
            var array = new byte[buffer.Length];
            var n = Read(array, 0, array.Length);
            array.AsSpan(0, n).CopyTo(buffer);
            return n;
        }
    }

    /// <summary>Returns its bytes, then blocks (as a stalled connection does) until disposed.</summary>
    private sealed class StalledStream(byte[] data, Action onStall) : MemoryStream(data)
    {
        private readonly ManualResetEventSlim _disposed = new();

        public override int Read(byte[] buffer, int offset, int count)
        {
            var n = base.Read(buffer, offset, count);
            if (n > 0)
            {
                return n;
            }

            onStall();
            _disposed.Wait(TimeSpan.FromMinutes(2));
            throw new ObjectDisposedException(nameof(StalledStream));
        }

        public override int Read(Span<byte> buffer)
        {
            var array = new byte[buffer.Length];
            var n = Read(array, 0, array.Length);
            array.AsSpan(0, n).CopyTo(buffer);
            return n;
        }

        protected override void Dispose(bool disposing)
        {
            _disposed.Set();
            base.Dispose(disposing);
        }
    }

    private sealed class SynchronousProgress(List<FlattenProgress> reports) : IProgress<FlattenProgress>
    {
        public void Report(FlattenProgress value)
        {
            lock (reports)
            {
                reports.Add(value);
            }
        }
    }
}
