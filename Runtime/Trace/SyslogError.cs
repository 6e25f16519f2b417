using System.Runtime.InteropServices;

namespace CvmfsImages.Runtime.Trace;

/// <summary>Why a record could not be sent: the call that failed and its errno.</summary>
internal sealed record SyslogError(string Call, int Errno, string Message)
{
    /// <summary>ENOENT or ECONNREFUSED: no syslog daemon listens here (not an error: a warning with -d).</summary>
    public bool NoDaemon => Errno is 2 or 111;

    public static SyslogError Last(string call)
    {
        var errno = Marshal.GetLastPInvokeError();
        return new SyslogError(call, errno, Marshal.GetPInvokeErrorMessage(errno));
    }

    public override string ToString() => $"{Call}: {Message}";
}
