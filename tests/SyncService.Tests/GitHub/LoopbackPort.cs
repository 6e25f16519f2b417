using System.Net;
using System.Net.Sockets;

namespace CvmfsImages.Tests.SyncService.GitHub;

/// <summary>A port on 127.0.0.1 that nothing listens on right now (for listeners, and for "registry down").</summary>
internal static class LoopbackPort
{
    public static int Free()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
