using CvmfsImages.Registry;

namespace CvmfsImages.Tests.RegistryClient;

/// <summary>Client construction for tests: small retry delays, optional tweaks.</summary>
internal static class Clients
{
    public static RegistryClientOptions Options(Action<RegistryClientOptions>? configure = null)
    {
        var options = new RegistryClientOptions
        {
            RetryBaseDelay = TimeSpan.FromMilliseconds(1),
            MaxRetryDelay = TimeSpan.FromMinutes(5),
            RequestTimeout = TimeSpan.FromSeconds(30),
        };
        configure?.Invoke(options);
        return options;
    }

    public static Registry.RegistryClient Create(Action<RegistryClientOptions>? configure = null, TimeProvider? time = null) =>
        new(Options(configure), time: time);
}
