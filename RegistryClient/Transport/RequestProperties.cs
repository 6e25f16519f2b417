namespace CvmfsImages.Registry.Transport;

/// <summary>What the client tells its handler chain about a request, through <see cref="HttpRequestMessage.Options"/>.</summary>
internal static class RequestProperties
{
    /// <summary>
    /// The token scope(s) the request needs, e.g. <c>repository:ns/name:pull</c> (space-separated when several). A
    /// request without it is never authenticated (redirect targets such as object stores).
    /// </summary>
    public static readonly HttpRequestOptionsKey<string> Scope = new("cvmfs-images.scope");

    /// <summary>The authority (host:port) whose credentials apply; the request's own authority must equal it.</summary>
    public static readonly HttpRequestOptionsKey<string> AuthAuthority = new("cvmfs-images.auth-authority");

    /// <summary>Whether the request may be sent again (its content can be replayed). Default: no content or a byte array.</summary>
    public static readonly HttpRequestOptionsKey<bool> Replayable = new("cvmfs-images.replayable");

    public static bool IsReplayable(HttpRequestMessage request) =>
        request.Options.TryGetValue(Replayable, out var replayable)
            ? replayable
            : request.Content is null or ByteArrayContent or ReadOnlyMemoryContent;
}
