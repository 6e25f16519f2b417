using System.Runtime.InteropServices;
using System.Text;
using CvmfsImages.Runtime.Native;

namespace CvmfsImages.Runtime.Trace;

/// <summary>
/// Sends one message to the system log the way glibc's <c>syslog(3)</c> does (journald and rsyslog both read it): a
/// datagram <c>&lt;PRI&gt;Mmm dd HH:MM:SS singularity[PID]: TEXT</c> on the unix socket (<c>/dev/log</c>), or a
/// NUL-terminated record on a stream socket where the daemon listens on one. libc calls only: no sockets stack to
/// start on every job. Severity notice (5).
/// </summary>
internal static class Syslog
{
    public const string Identifier = "singularity";
    private const int SeverityNotice = 5;
    private const int MaxBytes = 8192;
    private static readonly string[] Months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

    /// <summary>The datagram for <paramref name="text"/>, cut at 8 KiB (on a UTF-8 boundary).</summary>
    public static byte[] Frame(int facility, int pid, DateTime localTime, string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        // "<PRI>Mmm dd HH:MM:SS ", day space-padded as syslog(3) writes it.
        var header = new StringBuilder(48).Append('<');
        TraceRecord.Digits(header, (facility * 8) + SeverityNotice, 1).Append('>').Append(Months[localTime.Month - 1]).Append(' ');
        if (localTime.Day < 10)
        {
            header.Append(' ');
        }

        TraceRecord.Digits(header, localTime.Day, 1).Append(' ');
        TraceRecord.Digits(header, localTime.Hour, 2).Append(':');
        TraceRecord.Digits(header, localTime.Minute, 2).Append(':');
        TraceRecord.Digits(header, localTime.Second, 2).Append(' ').Append(Identifier).Append('[');
        TraceRecord.Digits(header, pid, 1).Append("]: ");
        var bytes = Encoding.UTF8.GetBytes(header.Append(text).ToString());
        if (bytes.Length <= MaxBytes)
        {
            return bytes;
        }

        var end = MaxBytes;
        while (end > 0 && (bytes[end] & 0xC0) == 0x80)
        {
            end--;
        }

        return bytes[..end];
    }

    /// <summary>Sends <paramref name="message"/> to the socket at <paramref name="socketPath"/>; null, or why it could not.</summary>
    public static unsafe SyslogError? Send(string socketPath, byte[] message)
    {
        ArgumentNullException.ThrowIfNull(socketPath);
        ArgumentNullException.ThrowIfNull(message);
        var error = SendAs(socketPath, message, Libc.SockDgram);
        if (error is { Errno: Libc.EProtoType })
        {
            // The daemon listens on a stream socket (some syslogds): one record, NUL-terminated, as glibc sends it.
            error = SendAs(socketPath, [.. message, 0], Libc.SockStream);
        }

        return error;
    }

    private static unsafe SyslogError? SendAs(string socketPath, byte[] message, int type)
    {
        var fd = Libc.Socket(Libc.AfUnix, type | Libc.SockCloexec, 0);
        if (fd < 0)
        {
            return SyslogError.Last("socket");
        }

        try
        {
            // A daemon that stalls must not stall the job: at most a second of waiting for room in its queue.
            var timeout = new Libc.TimeVal { Seconds = 1 };
            if (Libc.SetSockOpt(fd, Libc.SolSocket, Libc.SoSndTimeo, &timeout, (uint)sizeof(Libc.TimeVal)) < 0)
            {
                return SyslogError.Last("setsockopt(SO_SNDTIMEO)");
            }

            var address = new Libc.SockAddrUnix { Family = Libc.AfUnix };
            var path = Encoding.UTF8.GetBytes(socketPath);
            if (path.Length >= 108)
            {
                return new SyslogError("connect", 36, "the socket path is too long");
            }

            path.CopyTo(new Span<byte>(address.Path, 108));
            if (Libc.Connect(fd, &address, (uint)(sizeof(ushort) + path.Length + 1)) < 0)
            {
                return SyslogError.Last("connect");
            }

            fixed (byte* data = message)
            {
                var sent = Libc.Send(fd, data, (nuint)message.Length, Libc.MsgNoSignal);
                if (sent < 0)
                {
                    return SyslogError.Last("send");
                }

                return sent == message.Length ? null : new SyslogError("send", 0, $"sent {sent} of {message.Length} bytes");
            }
        }
        finally
        {
            _ = Libc.Close(fd);
        }
    }
}
