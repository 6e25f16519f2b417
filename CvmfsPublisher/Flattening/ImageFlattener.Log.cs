using Microsoft.Extensions.Logging;

namespace CvmfsImages.Publisher.Flattening;

/// <summary>Log events of the flattener: ids 4100-4199.</summary>
public sealed partial class ImageFlattener
{
    [LoggerMessage(EventId = 4100, Level = LogLevel.Debug, Message = "Flattening {Target}: layer {Index}/{Count} {LayerDigest} ({MediaType})")]
    private partial void LogLayerStarted(string target, int index, int count, string layerDigest, string mediaType);

    [LoggerMessage(EventId = 4101, Level = LogLevel.Debug, Message = "Flattening {Target}: layer {Index}/{Count} {LayerDigest} applied ({UncompressedBytes} bytes uncompressed)")]
    private partial void LogLayerApplied(string target, int index, int count, string layerDigest, long uncompressedBytes);

    [LoggerMessage(EventId = 4102, Level = LogLevel.Warning, Message = "Flattened {Target}: {Count} device, FIFO or socket entries were not created")]
    private partial void LogSpecialFilesSkipped(string target, long count);

    [LoggerMessage(EventId = 4103, Level = LogLevel.Information, Message = "Flattened {Target}: {Count} extended attributes were not applied")]
    private partial void LogXattrsSkipped(string target, long count);

    [LoggerMessage(EventId = 4104, Level = LogLevel.Information, Message = "Flattened {Target}: {Layers} layers, {Entries} entries, {Bytes} bytes in {ElapsedMs} ms")]
    private partial void LogFlattened(string target, int layers, long entries, long bytes, long elapsedMs);

    [LoggerMessage(EventId = 4105, Level = LogLevel.Warning, Message = "Flattening {Target} failed; the partial tree was removed")]
    private partial void LogFailed(Exception exception, string target);
}
