namespace CvmfsImages.Registry;

/// <summary>Settings for one registry host (a key of <see cref="RegistryClientOptions.Hosts"/>).</summary>
public sealed class RegistryHostOptions
{
    /// <summary>User name for Basic auth or for the Bearer token request; null: anonymous (or docker config.json).</summary>
    public string? Username { get; set; }

    /// <summary>Password or access token; never logged.</summary>
    public string? Password { get; set; }

    /// <summary>
    /// A pull-through cache to ask first, as a base URL (<c>http://127.0.0.1:5000</c>, <c>https://mirror.example.org</c>);
    /// on any failure of the mirror the origin is asked. Only pulls use the mirror.
    /// </summary>
    public string? Mirror { get; set; }

    /// <summary>Plain HTTP is allowed for this registry (loopback registries always are).</summary>
    public bool Insecure { get; set; }
}
