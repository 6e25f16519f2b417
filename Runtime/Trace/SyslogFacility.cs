namespace CvmfsImages.Runtime.Trace;

/// <summary>The syslog facilities a site may choose for the trace records (RFC 5424, section 6.2.1).</summary>
internal static class SyslogFacility
{
    public const int User = 1;
    public const int Daemon = 3;
    public const int Auth = 4;
    public const int AuthPriv = 10;
    public const int Local0 = 16;

    public const string Names = "user, daemon, auth, authpriv, local0 ... local7";

    /// <summary>The facility code of <paramref name="name"/> (case-insensitive), or null.</summary>
    public static int? Parse(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        var lower = name.Trim().ToLowerInvariant();
        return lower switch
        {
            "user" => User,
            "daemon" => Daemon,
            "auth" => Auth,
            "authpriv" => AuthPriv,
            _ when lower.Length == 6 && lower.StartsWith("local", StringComparison.Ordinal) && lower[5] is >= '0' and <= '7' => Local0 + (lower[5] - '0'),
            _ => null,
        };
    }
}
