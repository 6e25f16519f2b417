using CvmfsImages.Registry.Names;
using Microsoft.Extensions.Logging;

namespace CvmfsImages.Registry;

public sealed partial class RegistryClient
{
    /// <summary>The client's log events (ids 1100-1199; 1110 and 1112 were the pushes', which moved to tests/TestSupport). URLs appear without queries; no credentials or tokens ever.</summary>
    internal static partial class Log
    {
        [LoggerMessage(EventId = 1101, Level = LogLevel.Debug, Message = "{Method} {Authority}{Path} -> {Status} in {ElapsedMs:0.#} ms")]
        public static partial void Request(ILogger logger, string method, string authority, string path, int status, double elapsedMs);

        [LoggerMessage(EventId = 1102, Level = LogLevel.Debug, Message = "{Method} {Authority}{Path} failed")]
        public static partial void RequestFailed(ILogger logger, string method, string authority, string path, Exception error);

        [LoggerMessage(EventId = 1103, Level = LogLevel.Information, Message = "{Method} {Authority}{Path}: {Reason}, retry {Attempt} in {DelayMs:0} ms")]
        public static partial void Retrying(ILogger logger, string method, string authority, string path, string reason, int attempt, double delayMs);

        [LoggerMessage(EventId = 1114, Level = LogLevel.Information, Message = "{Method} {Authority}{Path}: status {Status}, retry {Attempt} in {DelayMs:0} ms")]
        public static partial void RetryingStatus(ILogger logger, string method, string authority, string path, int status, int attempt, double delayMs);

        [LoggerMessage(EventId = 1104, Level = LogLevel.Debug, Message = "Fetching a token for {Registry} from {Realm}, scope '{Scope}' (credentials: {WithCredentials})")]
        public static partial void FetchingToken(ILogger logger, string registry, string realm, string scope, bool withCredentials);

        [LoggerMessage(EventId = 1105, Level = LogLevel.Warning, Message = "Mirror {Mirror} failed for {Reference}, asking the origin: {Error}")]
        public static partial void MirrorFailed(ILogger logger, string mirror, string reference, string error);

        [LoggerMessage(EventId = 1106, Level = LogLevel.Warning, Message = "Download of {Digest} interrupted at byte {Offset} ({Error}); resuming (attempt {Attempt})")]
        public static partial void BlobResuming(ILogger logger, Digest digest, long offset, string error, int attempt);

        [LoggerMessage(EventId = 1107, Level = LogLevel.Debug, Message = "Blob {Digest} served from the cache")]
        public static partial void CacheHit(ILogger logger, Digest digest);

        [LoggerMessage(EventId = 1108, Level = LogLevel.Debug, Message = "Blob {Digest} ({Size} bytes) stored in the cache")]
        public static partial void CacheStored(ILogger logger, Digest digest, long size);

        [LoggerMessage(EventId = 1109, Level = LogLevel.Information, Message = "Cache over {MaxBytes} bytes: evicted {Count} blobs ({Bytes} bytes)")]
        public static partial void CacheEvicted(ILogger logger, long maxBytes, int count, long bytes);

        [LoggerMessage(EventId = 1111, Level = LogLevel.Debug, Message = "Blob {Digest} redirected to {Authority}")]
        public static partial void BlobRedirected(ILogger logger, Digest digest, string authority);

        [LoggerMessage(EventId = 1113, Level = LogLevel.Warning, Message = "Blob cache: {Message}")]
        public static partial void CacheProblem(ILogger logger, string message, Exception exception);
    }
}
