using System.Globalization;
using System.Runtime.CompilerServices;

namespace CvmfsImages.Runtime.Diagnostics;

/// <summary>
/// The runtime's messages on stderr in Singularity's formats: <c>WARNING: text</c> normally, and with <c>-d</c>
/// <c>LEVEL   [U=uid,P=pid]   function()   text</c>. This is a command-line tool whose stderr format scripts and users
/// know, so it writes directly rather than through Microsoft.Extensions.Logging (the Runtime is BCL-only by design).
/// </summary>
internal sealed class Messages
{
    private readonly TextWriter _writer;
    private readonly uint _uid;
    private readonly int _pid;

    public Messages(TextWriter writer, MessageLevel threshold, uint uid, int pid)
    {
        ArgumentNullException.ThrowIfNull(writer);
        _writer = writer;
        Threshold = threshold;
        _uid = uid;
        _pid = pid;
    }

    /// <summary>Messages at this level or more severe are written.</summary>
    public MessageLevel Threshold { get; set; }

    public bool IsDebug => Threshold >= MessageLevel.Debug;

    public void Debug(string message, [CallerMemberName] string function = "") => Write(MessageLevel.Debug, message, function);

    public void Verbose(string message, [CallerMemberName] string function = "") => Write(MessageLevel.Verbose, message, function);

    public void Info(string message, [CallerMemberName] string function = "") => Write(MessageLevel.Info, message, function);

    public void Warning(string message, [CallerMemberName] string function = "") => Write(MessageLevel.Warning, message, function);

    public void Error(string message, [CallerMemberName] string function = "") => Write(MessageLevel.Error, message, function);

    /// <summary>Fatal messages are always written, whatever the threshold (even with -s).</summary>
    public void Fatal(string message, [CallerMemberName] string function = "") => Write(MessageLevel.Fatal, message, function);

    /// <summary>The text of one message line (without the newline), as it would be written.</summary>
    public string Format(MessageLevel level, string message, string function)
    {
        var name = level.ToString().ToUpperInvariant();
        // One line per message: a path or value containing a newline must not forge a second message.
        message = message.Replace('\n', ' ').Replace('\r', ' ');
        if (IsDebug)
        {
            var who = string.Create(CultureInfo.InvariantCulture, $"[U={_uid},P={_pid}]");
            return string.Create(CultureInfo.InvariantCulture, $"{name,-8}{who,-18}{function + "()",-32}{message}");
        }

        return string.Create(CultureInfo.InvariantCulture, $"{name + ":",-9}{message}");
    }

    private void Write(MessageLevel level, string message, string function)
    {
        if (level != MessageLevel.Fatal && level > Threshold)
        {
            return;
        }

        _writer.WriteLine(Format(level, message, function));
        _writer.Flush();
    }
}
