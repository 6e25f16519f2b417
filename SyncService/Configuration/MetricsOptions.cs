using System.Globalization;

namespace CvmfsImages.Sync.Configuration;

/// <summary>The loopback HTTP endpoint with <c>/healthz</c> and <c>/metrics</c> (section <c>Sync:Metrics</c>).</summary>
public sealed class MetricsOptions
{
    public bool Enabled { get; set; } = true;

    /// <summary>TCP port on 127.0.0.1; 0 picks a free one (logged).</summary>
    public int Port { get; set; } = 9477;

    public void Validate()
    {
        if (Port is < 0 or > 65535)
        {
            throw new OptionsException("Sync:Metrics:Port", string.Create(CultureInfo.InvariantCulture, $"must be a TCP port (0-65535), not {Port}"));
        }
    }
}
