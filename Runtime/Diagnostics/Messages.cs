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
    private readonly Func<TextWriter> _openWriter;
    private readonly uint _uid;
    private readonly int _pid;
    private TextWriter? _writer;

    public Messages(TextWriter writer, MessageLevel threshold, uint uid, int pid)
        : this(() => writer, threshold, uid, pid)
    {
        ArgumentNullException.ThrowIfNull(writer);
    }

    /// <param name="openWriter">called on the first message only: a run that prints nothing never sets up
    /// <see cref="Console.Error"/> (part of the start-up cost of every job).</param>
    /// <param name="threshold">messages at this level or more severe are written.</param>
    /// <param name="uid">the caller's uid, for the debug format.</param>
    /// <param name="pid">this process's id, for the debug format.</param>
    public Messages(Func<TextWriter> openWriter, MessageLevel threshold, uint uid, int pid)
    {
        ArgumentNullException.ThrowIfNull(openWriter);
        _openWriter = openWriter;
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
        var name = Name(level);
        // One line per message: a path or value containing a newline must not forge a second message.
        message = message.Replace('\n', ' ').Replace('\r', ' ');
        if (IsDebug)
        {
            var who = string.Create(CultureInfo.InvariantCulture, $"[U={_uid},P={_pid}]");
            return string.Create(CultureInfo.InvariantCulture, $"{name,-8}{who,-18}{function + "()",-32}{message}");
        }

        return string.Create(CultureInfo.InvariantCulture, $"{name + ":",-9}{message}");
    }

    // Not Enum.ToString(): that goes through reflection metadata, which the NativeAOT front end avoids at start.
    private static string Name(MessageLevel level) => level switch
    {
        MessageLevel.Fatal => "FATAL",
        MessageLevel.Error => "ERROR",
        MessageLevel.Warning => "WARNING",
        MessageLevel.Info => "INFO",
        MessageLevel.Verbose => "VERBOSE",
        MessageLevel.Debug => "DEBUG",
        _ => throw new ArgumentOutOfRangeException(nameof(level), level, "unknown message level"),
    };

    private void Write(MessageLevel level, string message, string function)
    {
        if (level != MessageLevel.Fatal && level > Threshold)
        {
            return;
        }

        _writer ??= _openWriter();
        _writer.WriteLine(Format(level, message, function));
        _writer.Flush();
    }
}
