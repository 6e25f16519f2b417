namespace CvmfsImages.Registry.Transport;

/// <summary>Where requests for a registry go: its own API base URL, or a configured mirror's.</summary>
internal sealed record RegistryEndpoint(string Registry, Uri BaseUri, bool IsMirror)
{
    /// <summary>host:port of the base URL: the authority whose credentials apply.</summary>
    public string Authority => BaseUri.Authority;

    public Uri Resolve(string relative) => new(BaseUri, relative);

    public override string ToString() => IsMirror ? $"mirror {BaseUri.GetLeftPart(UriPartial.Authority)} of {Registry}" : Registry;
}
