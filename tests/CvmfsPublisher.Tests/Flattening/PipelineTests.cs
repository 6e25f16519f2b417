using CvmfsImages.Publisher.Flattening;
using CvmfsImages.TestSupport;
using Xunit;

namespace CvmfsImages.Tests.CvmfsPublisher.Flattening;

/// <summary>
/// The concurrency of a flatten: each layer is read and decompressed on threads of its own, and the next layer is
/// opened and decompressed while one is applied. Layers still apply in order (a later layer's whiteouts act on the
/// complete earlier layer), a later layer's error is reported for that layer and only once the earlier one is done,
/// the earlier layer's error wins, and a failure or a cancellation ends every thread and leaves no tree.
/// </summary>
public sealed class PipelineTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    // A layer large enough that its source is read in several chunks (the read stage reads 256 KiB at a time).
    private static TarBuilder Lower() => new TarBuilder()
        .File("big", new byte[3 * 1024 * 1024])
        .Directory("d").File("d/x", "lower x").File("d/y", "lower y").File("a", "lower a").File("b", "lower b");

    private static TarBuilder Upper() => new TarBuilder()
        .Whiteout("a").File("b", "upper b").Opaque("d").File("d/z", "upper z");

    [Fact]
    public async Task The_next_layer_is_read_while_the_earlier_one_is_applied_and_still_applies_after_it()
    {
        var upperRead = new ManualResetEventSlim();
        var upper = Upper().ToGzip();
        var lower = Lower().ToTar();

        // The lower layer's source holds back its second half until the upper layer's source has been read from:
        // without the look-ahead this would wait out the patience and the assertion below would fail.
        var waited = false;
        var lowerSource = new GatedStream(lower, lower.Length / 2, () => waited = !upperRead.Wait(Patience));
        var layers = new[]
        {
            new LayerInput(TestLayers.OciTar, TarBuilder.Digest(lower), _ => Task.FromResult<Stream>(lowerSource)),
            new LayerInput(TestLayers.OciGzip, TarBuilder.Digest(upper), _ => Task.FromResult<Stream>(new WatchedStream(upper, onFirstRead: upperRead.Set))),
        };

        using var tree = await TestLayers.FlattenAsync(layers);
        Assert.False(waited, "the second layer was not read while the first was being applied");
        Assert.False(tree.Exists("a"));
        Assert.Equal("upper b", tree.Read("b"));
        Assert.Equal(["z"], Directory.GetFileSystemEntries(tree.Path("d")).Select(Path.GetFileName));
        Assert.Equal(3 * 1024 * 1024, new FileInfo(tree.Path("big")).Length);
    }

    [Fact]
    public async Task A_corrupt_later_layer_is_reported_for_that_layer_once_the_earlier_one_is_complete()
    {
        var lower = Lower().ToTar();
        var lowerSource = new WatchedStream(lower);
        var corrupt = Upper().ToGzip();
        corrupt.AsSpan(20, 200).Fill(0x55); // the deflate data: its unpack stage fails at once, long before layer 1 is done
        var corruptDigest = TarBuilder.Digest(corrupt);
        var ex = await TestLayers.FailsAsync<LayerException>(
        [
            new LayerInput(TestLayers.OciTar, TarBuilder.Digest(lower), _ => Task.FromResult<Stream>(lowerSource)),
            TestLayers.FromBytes(corrupt, TestLayers.OciGzip, corruptDigest),
        ]);
        Assert.Equal(corruptDigest, ex.LayerDigest);
        Assert.Contains(corruptDigest, ex.Message, StringComparison.Ordinal);
        Assert.True(lowerSource.ReachedEnd, "the first layer must be applied completely before the second layer's error is reported");
    }

    [Fact]
    public async Task A_later_layer_with_the_wrong_magic_bytes_is_reported_for_that_layer()
    {
        var notGzip = Upper().ToTar();
        var digest = TarBuilder.Digest(notGzip);
        var ex = await TestLayers.FailsAsync<LayerException>([TestLayers.Plain(Lower()), TestLayers.FromBytes(notGzip, TestLayers.OciGzip, digest)]);
        Assert.Equal(digest, ex.LayerDigest);
        Assert.Contains("does not start with the gzip magic bytes", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_error_in_the_earlier_layer_wins_and_the_layer_opened_ahead_is_closed()
    {
        var refused = new TarBuilder().File("big", new byte[3 * 1024 * 1024]).File("../escape", "x").ToTar();
        var refusedDigest = TarBuilder.Digest(refused);
        var corrupt = Upper().ToGzip();
        corrupt.AsSpan(20, 200).Fill(0x55);
        var corruptSource = new WatchedStream(corrupt);
        var ex = await TestLayers.FailsAsync<LayerException>(
        [
            TestLayers.FromBytes(refused, TestLayers.OciTar, refusedDigest),
            new LayerInput(TestLayers.OciGzip, TarBuilder.Digest(corrupt), _ => Task.FromResult<Stream>(corruptSource)),
        ]);
        Assert.Equal(refusedDigest, ex.LayerDigest);
        Assert.Equal("../escape", ex.EntryName);
        Assert.True(corruptSource.Disposed, "the layer opened ahead must be closed when the flatten fails");
    }

    [Fact]
    public async Task A_layer_still_opening_when_the_flatten_fails_is_closed_once_it_opens()
    {
        var release = new TaskCompletionSource();
        var late = new WatchedStream(Upper().ToTar());
        var layers = new[]
        {
            TestLayers.Plain(new TarBuilder().File("a", "a").File("/../escape", "x")),
            new LayerInput(TestLayers.OciTar, "sha256:" + new string('7', 64), async _ =>
            {
                await release.Task;
                return late;
            }),
        };
        await TestLayers.FailsAsync<LayerException>(layers);

        // The failure is reported while the second layer is still being opened; what it opens later is closed.
        Assert.False(late.Disposed);
        release.SetResult();
        Assert.True(SpinWait.SpinUntil(() => late.Disposed, Patience), "a layer stream opened after the failure must be disposed");
    }

    [Fact]
    public async Task Cancellation_ends_a_stalled_read_of_the_layer_opened_ahead_and_removes_the_tree()
    {
        using var cts = new CancellationTokenSource();
        var stalled = new StalledStream(Upper().ToTar()[..1024]);
        var lower = Lower().ToTar();

        // The first layer waits until the second one's source has stalled, then the flatten is cancelled.
        var lowerSource = new GatedStream(lower, lower.Length / 2, () =>
        {
            stalled.Stalled.Wait(Patience);
            cts.Cancel();
        });
        var layers = new[]
        {
            new LayerInput(TestLayers.OciTar, TarBuilder.Digest(lower), _ => Task.FromResult<Stream>(lowerSource)),
            new LayerInput(TestLayers.OciTar, "sha256:" + new string('8', 64), _ => Task.FromResult<Stream>(stalled)),
        };
        using var temp = new TempDirectory("flatten");
        var root = temp.Combine("root");
        var flatten = new ImageFlattener().FlattenAsync(layers, ImageConfig.Empty, root, null, cts.Token);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => flatten.WaitAsync(Patience, TestContext.Current.CancellationToken));
        Assert.False(Path.Exists(root));
        Assert.True(stalled.Disposed, "cancelling must dispose the stalled stream of the layer opened ahead");
    }

    [Fact]
    public async Task Names_replaced_linked_and_whited_out_while_the_next_layer_streams_end_up_as_the_tars_say()
    {
        // A name replaced within a layer, a hard link to a file a later layer whites out, a file larger than one
        // read-ahead buffer, and more files than the resolver keeps directories for.
        var lower = new TarBuilder()
            .File("f", new byte[3 * 1024 * 1024])
            .File("f", "second")
            .File("g", Enumerable.Repeat((byte)'g', 1024 * 1024).ToArray())
            .Hardlink("h", "g")
            .File("big", Enumerable.Repeat((byte)'b', (4 * 1024 * 1024) + 1).ToArray());
        for (var i = 0; i < 300; i++)
        {
            lower.File($"many/{i}", $"file {i}");
        }

        var upper = new TarBuilder().Whiteout("g").File("many/7", "upper 7").Whiteout("many/8");
        using var tree = await TestLayers.FlattenAsync(lower, upper);
        Assert.Equal("second", tree.Read("f"));
        Assert.False(tree.Exists("g"));
        Assert.Equal(new string('g', 1024 * 1024), tree.Read("h"));
        Assert.Equal((4 * 1024 * 1024) + 1, new FileInfo(tree.Path("big")).Length);
        Assert.Equal("upper 7", tree.Read("many/7"));
        Assert.False(tree.Exists("many/8"));
        Assert.Equal(299, Directory.GetFiles(tree.Path("many")).Length);
        Assert.All(Enumerable.Range(0, 300).Where(i => i is not 7 and not 8), i => Assert.Equal($"file {i}", tree.Read($"many/{i}")));
        Assert.Equal(new DateTime(2021, 3, 4, 5, 6, 7, DateTimeKind.Utc), File.GetLastWriteTimeUtc(tree.Path("many/299")));
    }

    [Fact]
    public void A_read_ahead_stage_hashes_every_chunk_in_order_and_knows_the_digest_only_at_the_end()
    {
        var data = new byte[(1 << 20) + 12345];
        new Random(21).NextBytes(data);
        using var stage = new ReadAheadStream(() => new MemoryStream(data), "test stage", chunkSize: 4096, buffers: 3, sha256Thread: "test sha256");
        var read = new byte[1000];
        Assert.Equal(1000, stage.Read(read));
        Assert.Throws<InvalidOperationException>(() => stage.Digest());
        using var copy = new MemoryStream();
        copy.Write(read);
        stage.CopyTo(copy);
        Assert.Equal(data, copy.ToArray());
        Assert.Equal(TarBuilder.Digest(data), stage.Digest());
        Assert.Equal(data.Length, stage.BytesRead);
    }

    [Fact]
    public void A_read_ahead_stage_rethrows_its_sources_error_with_its_type_on_every_read()
    {
        using var stage = new ReadAheadStream(() => throw new InvalidDataException("broken source"), "test stage");
        var buffer = new byte[16];
        Assert.Equal("broken source", Assert.Throws<InvalidDataException>(() => stage.Read(buffer)).Message);
        Assert.Equal("broken source", Assert.Throws<InvalidDataException>(() => stage.Read(buffer)).Message);
    }

    [Fact]
    public async Task Stopping_a_read_ahead_stage_wakes_a_reader_waiting_for_data()
    {
        var stalled = new StalledStream([]);
        using var stage = new ReadAheadStream(stalled, "test stage");
        var reader = Task.Run(() => stage.Read(new byte[16]), TestContext.Current.CancellationToken);
        Assert.True(stalled.Stalled.Wait(Patience, TestContext.Current.CancellationToken));
        stage.Stop();
        await Assert.ThrowsAsync<ObjectDisposedException>(() => reader.WaitAsync(Patience, TestContext.Current.CancellationToken));
        stalled.Dispose(); // ends the source's read, so disposing the stage can wait for its thread
    }

    /// <summary>A layer source that records its first read, its end and its disposal.</summary>
    private sealed class WatchedStream(byte[] data, Action? onFirstRead = null) : MemoryStream(data, writable: false)
    {
        private Action? _onFirstRead = onFirstRead;

        public bool ReachedEnd { get; private set; }

        public bool Disposed { get; private set; }

        // MemoryStream's span read of a derived type comes here.
        public override int Read(byte[] buffer, int offset, int count)
        {
            Interlocked.Exchange(ref _onFirstRead, null)?.Invoke();
            var n = base.Read(buffer, offset, count);
            ReachedEnd |= n == 0 && count > 0;
            return n;
        }

        protected override void Dispose(bool disposing)
        {
            Disposed = true;
            base.Dispose(disposing);
        }
    }

    /// <summary>Delivers the first <c>gateAt</c> bytes, then runs <c>atGate</c> once (on the reading thread) before the rest.</summary>
    private sealed class GatedStream(byte[] data, int gateAt, Action atGate) : MemoryStream(data, writable: false)
    {
        private Action? _atGate = atGate;

        public override int Read(byte[] buffer, int offset, int count)
        {
            if (Position >= gateAt)
            {
                Interlocked.Exchange(ref _atGate, null)?.Invoke();
            }

            var limit = Position < gateAt ? (int)Math.Min(count, gateAt - Position) : count;
            return base.Read(buffer, offset, limit);
        }
    }

    /// <summary>Returns its bytes, then blocks until disposed (a network read that never completes).</summary>
    private sealed class StalledStream(byte[] data) : MemoryStream(data, writable: false)
    {
        private readonly ManualResetEventSlim _disposed = new();

        public ManualResetEventSlim Stalled { get; } = new();

        public bool Disposed => _disposed.IsSet;

        public override int Read(byte[] buffer, int offset, int count)
        {
            var n = base.Read(buffer, offset, count);
            if (n > 0)
            {
                return n;
            }

            Stalled.Set();
            _disposed.Wait(TimeSpan.FromMinutes(2));
            throw new ObjectDisposedException(nameof(StalledStream));
        }

        protected override void Dispose(bool disposing)
        {
            _disposed.Set();
            base.Dispose(disposing);
        }
    }
}
