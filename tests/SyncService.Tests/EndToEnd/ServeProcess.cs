using System.Diagnostics;
using System.Globalization;
using System.Text;
using Xunit;

namespace CvmfsImages.Tests.SyncService.EndToEnd;

/// <summary>
/// <c>cvmfs-image-sync serve</c> as a real child process (the built dll under <c>dotnet exec</c>), its output kept, for
/// tests that send it real signals.
/// </summary>
internal sealed class ServeProcess : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _log = new();
    private readonly List<(string Text, TaskCompletionSource Seen)> _waits = [];

    private ServeProcess(IEnumerable<string> arguments, IReadOnlyDictionary<string, string>? environment)
    {
        var psi = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in (string[])["exec", Path.Combine(AppContext.BaseDirectory, "cvmfs-image-sync.dll"), "serve", .. arguments])
        {
            psi.ArgumentList.Add(arg);
        }

        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            psi.Environment[name] = value;
        }

        _process = new Process { StartInfo = psi };
        _process.OutputDataReceived += OnLine;
        _process.ErrorDataReceived += OnLine;
        _process.Start();
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public static TimeSpan Patience { get; } = TimeSpan.FromSeconds(90);

    public int ExitCode => _process.ExitCode;

    public bool HasExited => _process.HasExited;

    public string Log
    {
        get
        {
            lock (_log)
            {
                return _log.ToString();
            }
        }
    }

    public static ServeProcess Start(IEnumerable<string> arguments, IReadOnlyDictionary<string, string>? environment = null) => new(arguments, environment);

    /// <summary>Completes when a line containing <paramref name="text"/> has been written (now or before).</summary>
    public Task WaitForLineAsync(string text)
    {
        var seen = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_log)
        {
            if (_log.ToString().Contains(text, StringComparison.Ordinal))
            {
                return Task.CompletedTask;
            }

            _waits.Add((text, seen));
        }

        return seen.Task.WaitAsync(Patience, TestContext.Current.CancellationToken);
    }

    /// <summary>Polls until <paramref name="condition"/> holds; fails when the process exits first or patience runs out.</summary>
    public async Task WaitUntilAsync(Func<bool> condition, string what)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.False(_process.HasExited, $"serve exited with {(_process.HasExited ? _process.ExitCode : 0)} while waiting for {what}\n{Log}");
            Assert.True(clock.Elapsed < Patience, $"serve did not reach {what} within {Patience.TotalSeconds} s\n{Log}");
            await Task.Delay(50, TestContext.Current.CancellationToken);
        }
    }

    /// <summary>Sends SIGTERM (with kill(1), as systemd would send it) and waits for the process to exit.</summary>
    public async Task TerminateAsync()
    {
        await SignalTerminateAsync();
        await WaitForExitAsync();
    }

    /// <summary>Sends SIGTERM (with kill(1), as systemd would send it) to the service only, not its children (KillMode=mixed).</summary>
    public async Task SignalTerminateAsync()
    {
        using var kill = Process.Start("kill", ["-TERM", _process.Id.ToString(CultureInfo.InvariantCulture)]);
        await kill.WaitForExitAsync(TestContext.Current.CancellationToken);
    }

    /// <summary>Waits for the process to exit.</summary>
    public async Task WaitForExitAsync()
    {
        var ct = TestContext.Current.CancellationToken;
        await _process.WaitForExitAsync(ct).WaitAsync(Patience, ct);
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }

        _process.Dispose();
    }

    private void OnLine(object sender, DataReceivedEventArgs e)
    {
        if (e.Data is null)
        {
            return;
        }

        List<TaskCompletionSource> done = [];
        lock (_log)
        {
            _log.AppendLine(e.Data);
            foreach (var wait in _waits.Where(w => e.Data.Contains(w.Text, StringComparison.Ordinal)).ToList())
            {
                _waits.Remove(wait);
                done.Add(wait.Seen);
            }
        }

        done.ForEach(s => s.TrySetResult());
    }
}
