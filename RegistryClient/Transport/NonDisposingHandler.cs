namespace CvmfsImages.Registry.Transport;

/// <summary>Puts a caller's handler at the bottom of the chain without disposing it with the client.</summary>
internal sealed class NonDisposingHandler : HttpMessageHandler
{
    private readonly HttpMessageInvoker _inner;

    public NonDisposingHandler(HttpMessageHandler inner)
    {
        _inner = new HttpMessageInvoker(inner, disposeHandler: false);
    }

    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
        _inner.SendAsync(request, cancellationToken);

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _inner.Dispose(); // does not dispose the caller's handler (disposeHandler: false)
        }

        base.Dispose(disposing);
    }
}
