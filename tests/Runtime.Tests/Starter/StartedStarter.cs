using System.Diagnostics;
using System.Text;

namespace CvmfsImages.Tests.Runtime.Starter;

/// <summary>A starter process that is running: its output so far, and a way to wait for a line of it.</summary>
public sealed class StartedStarter
{
    private readonly object _gate = new();
    private readonly List<string> _lines = [];
    private int _closedStreams;

    public StartedStarter(Process process)
    {
        Process = process;
    }

    public Process Process { get; }

    public StringBuilder Stdout { get; } = new();

    public StringBuilder Stderr { get; } = new();

    /// <summary>Blocks until the payload printed <paramref name="line"/> on stdout; false when it ended or timed out.</summary>
    public bool WaitForLine(string line, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        lock (_gate)
        {
            while (!_lines.Contains(line))
            {
                var left = deadline - DateTime.UtcNow;
                if (_closedStreams == 2 || left <= TimeSpan.Zero)
                {
                    return false;
                }

                Monitor.Wait(_gate, left);
            }

            return true;
        }
    }

    /// <summary>The first line the payload printed on stdout; null when it ended or timed out first.</summary>
    public string? WaitForFirstLine(TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        lock (_gate)
        {
            while (_lines.Count == 0)
            {
                var left = deadline - DateTime.UtcNow;
                if (_closedStreams == 2 || left <= TimeSpan.Zero)
                {
                    return null;
                }

                Monitor.Wait(_gate, left);
            }

            return _lines[0];
        }
    }

    internal void OnLine(string? line, bool isError)
    {
        lock (_gate)
        {
            if (line is null)
            {
                // End of one stream: wake the waiters so that they see the process is done.
                _closedStreams++;
                Monitor.PulseAll(_gate);
                return;
            }

            (isError ? Stderr : Stdout).Append(line).Append('\n');
            if (!isError)
            {
                _lines.Add(line);
            }

            Monitor.PulseAll(_gate);
        }
    }
}
